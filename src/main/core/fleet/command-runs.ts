import { clipOutput, MAX_COMMAND_RUNS, type CommandRun, type ExecResultLine } from '../../../shared/protocol';
import type { ExecOutcome, GatheredCommand } from './types';

/**
 * The commands a tool call ran, per host, as the chat's tool-call cards show them: exit code,
 * duration and output bounded to its first and last few KB (with a marker where it was cut).
 * Built from what the fleet returned; the store redacts them like every other text it keeps.
 */

function bounded(stdout: string, stderr: string, alreadyTruncated: boolean): Pick<CommandRun, 'stdout' | 'stderr' | 'truncated'> {
  const out = clipOutput(stdout);
  const err = clipOutput(stderr);
  const truncated = alreadyTruncated || out.clipped || err.clipped;
  return { stdout: out.text, stderr: err.text, ...(truncated ? { truncated } : {}) };
}

/** A command a tool gathered (argv through the safety gate): ran, or refused by the policy. */
export function commandRunFromGathered(host: string, argv: readonly string[], gathered: GatheredCommand): CommandRun {
  const command = argv.join(' ');
  if (gathered.status === 'refused') {
    return { host, command, exitCode: null, durationMs: 0, stdout: '', stderr: '', error: { code: 'policy_denied', message: `refused by policy (${gathered.verdict.category}): ${gathered.verdict.reasons.join('; ')}` } };
  }
  return commandRunFromOutcome(host, command, gathered.outcome);
}

export function commandRunFromOutcome(host: string, command: string, outcome: ExecOutcome): CommandRun {
  return {
    host,
    command,
    exitCode: outcome.exitCode,
    durationMs: Math.max(0, outcome.durationMs),
    ...bounded(outcome.stdout, outcome.stderr, outcome.stdoutTruncated || outcome.stderrTruncated),
    error: outcome.error,
  };
}

/** A run_command result line (one host). */
export function commandRunFromLine(command: string, line: ExecResultLine): CommandRun {
  return {
    host: line.host,
    command,
    exitCode: line.exitCode,
    durationMs: Math.max(0, line.durationMs),
    ...bounded(line.stdout, line.stderr, false),
    error: line.error ? { code: line.error.code, message: line.error.message } : null,
  };
}

/** At most MAX_COMMAND_RUNS per call. */
export function capRuns(runs: CommandRun[]): CommandRun[] {
  return runs.length > MAX_COMMAND_RUNS ? runs.slice(0, MAX_COMMAND_RUNS) : runs;
}
