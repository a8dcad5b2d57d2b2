import { createHash } from 'node:crypto';
import type { Host } from '../../../shared/protocol';
import type { ApprovedCommand, AuditSink } from '../safety';
import type { BatchRequest, BatchResult, ExecOptions, ExecOutcome, Executor, FileRead, OpenedFile } from './types';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Records every execution in the audit log: who asked, the exact command, exit code,
 * signal, duration and hashes of the output (the output itself stays out of the log).
 */
export class AuditingExecutor implements Executor {
  constructor(
    private readonly inner: Executor,
    private readonly audit: AuditSink,
  ) {}

  get host(): Host {
    return this.inner.host;
  }

  private record(command: ApprovedCommand, outcome: ExecOutcome): void {
    this.audit.record({
      kind: 'execution',
      actor: command.requester,
      host: this.inner.host.name,
      subject: command.command,
      data: {
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        durationMs: Math.round(outcome.durationMs * 10) / 10,
        error: outcome.error?.code ?? null,
        stdoutSha256: sha256(outcome.stdout),
        stderrSha256: sha256(outcome.stderr),
        truncated: outcome.stdoutTruncated || outcome.stderrTruncated,
        policyVersion: command.policyVersion,
      },
    });
  }

  async run(command: ApprovedCommand, options?: ExecOptions): Promise<ExecOutcome> {
    try {
      const outcome = await this.inner.run(command, options);
      this.record(command, outcome);
      return outcome;
    } catch (err) {
      this.audit.record({ kind: 'execution', actor: command.requester, host: this.inner.host.name, subject: command.command, data: { error: (err as Error).message } });
      throw err;
    }
  }

  readFiles(paths: readonly string[], options?: { maxBytes?: number }): Promise<Record<string, string | null>> {
    return this.inner.readFiles(paths, options);
  }

  openFiles(files: readonly (string | FileRead)[], options?: { maxBytes?: number }): Promise<Record<string, OpenedFile>> {
    return this.inner.openFiles(files, options);
  }

  get runBatch(): ((request: BatchRequest) => Promise<BatchResult>) | undefined {
    const inner = this.inner;
    if (!inner.runBatch) return undefined;
    return async (request: BatchRequest) => {
      const result = await inner.runBatch!(request);
      for (const [key, outcome] of Object.entries(result.commands)) {
        const command = request.commands?.[key];
        if (command) this.record(command, outcome);
      }
      return result;
    };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
