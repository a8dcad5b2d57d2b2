/** 130: stopped by Ctrl-C (SIGINT), as shells report it. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** A failure the CLI reports as one clear line on stderr with the given exit code. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export class UsageError extends CliFailure {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}
