import type { ExecResultLine, Host } from '../../../shared/protocol';
import type { SafetyGate } from '../safety';
import { mapBounded } from './concurrency';
import type { Fleet } from './fleet';
import type { ExecOptions } from './types';

export interface FanOutRequest {
  /** Text shown to the operator and judged by the policy. */
  command: string;
  /** Words, when the caller has them (no shell involved). */
  argv?: string[];
  requester: string;
  concurrency?: number;
  exec?: Omit<ExecOptions, 'onOutput'>;
  /** Each host's line as soon as that host finishes. */
  onResult?: (line: ExecResultLine) => void;
}

/**
 * Runs one command on many hosts with bounded concurrency. The gate judges the command
 * for each host (host and tag rules may differ); a refusal or a dead host is that host's
 * result, never a reason to stop the others.
 */
export async function fanOut(fleet: Fleet, gate: SafetyGate, hosts: readonly Host[], request: FanOutRequest): Promise<ExecResultLine[]> {
  const runOne = async (host: Host): Promise<ExecResultLine> => {
    // The path words are judged by what they resolve to on that host, not only as written.
    const resolvedPaths = (await fleet.resolvePathWords(host, request.command, request.argv, request.exec?.signal)) ?? undefined;
    const check = gate.check({ command: request.command, argv: request.argv, host: host.name, requester: request.requester, tags: host.tags, resolvedPaths });
    if (!check.ok) {
      const denied = check.verdict.decision === 'deny';
      return {
        host: host.name,
        ok: false,
        exitCode: null,
        stdout: '',
        stderr: '',
        durationMs: 0,
        error: {
          code: denied ? 'policy_denied' : 'approval_required',
          message: `${denied ? 'refused by the safety policy' : 'needs approval, which this build cannot grant yet'} (${check.verdict.category}): ${check.verdict.reasons.join('; ')}`,
        },
      };
    }
    try {
      const out = await fleet.executor(host).run(check.command, request.exec);
      return {
        host: host.name,
        ok: out.error === null && out.exitCode === 0,
        exitCode: out.exitCode,
        stdout: out.stdout,
        stderr: out.stderr,
        durationMs: Math.round(out.durationMs * 10) / 10,
        error: out.error,
      };
    } catch (err) {
      return { host: host.name, ok: false, exitCode: null, stdout: '', stderr: '', durationMs: 0, error: { code: 'unreachable', message: (err as Error).message } };
    }
  };
  // Connecting needs no approval: overlap it with the policy load (the cold CLI's main cost).
  fleet.prewarm(hosts, request.exec?.signal);
  await gate.ready();
  // Results come back in completion order, each reported as soon as its host finishes.
  const results: ExecResultLine[] = [];
  await mapBounded(hosts, request.concurrency ?? 32, async (host) => {
    const line = await runOne(host);
    results.push(line);
    request.onResult?.(line);
  });
  return results;
}
