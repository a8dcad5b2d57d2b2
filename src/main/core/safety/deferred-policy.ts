import type { CommandPolicy, CommandRequest, GlobSite, PolicyVerdict } from './types';

/**
 * The policy while it loads (grammar and rules take a moment): until it is ready every
 * command is refused, so nothing runs unjudged; callers that can wait use `ready()`.
 * A policy that fails to load (a broken rule example) stays refusing and `ready()`
 * rejects with the reason.
 */
export class DeferredPolicy implements CommandPolicy {
  private loaded: CommandPolicy | null = null;
  private failure: Error | null = null;
  private readonly pending: Promise<CommandPolicy>;

  constructor(load: Promise<CommandPolicy>) {
    this.pending = load.then(
      (policy) => {
        this.loaded = policy;
        return policy;
      },
      (err: unknown) => {
        this.failure = err instanceof Error ? err : new Error(String(err));
        throw this.failure;
      },
    );
    // Nobody may be waiting yet; the failure is reported through ready() and every verdict.
    this.pending.catch(() => undefined);
  }

  get version(): string {
    return this.loaded?.version ?? 'loading';
  }

  get current(): CommandPolicy | null {
    return this.loaded;
  }

  async ready(): Promise<CommandPolicy> {
    return this.pending;
  }

  judgedPaths(request: { command: string; argv?: readonly string[] }): string[] {
    return this.loaded?.judgedPaths?.(request) ?? [];
  }

  globSites(command: string): GlobSite[] {
    return this.loaded?.globSites?.(command) ?? [];
  }

  evaluate(request: CommandRequest): PolicyVerdict {
    if (this.loaded) return this.loaded.evaluate(request);
    const reason = this.failure ? `the safety policy failed to load: ${this.failure.message}` : 'the safety policy is still loading; try again in a moment';
    return { decision: 'deny', category: 'unknown', reasons: [reason] };
  }
}
