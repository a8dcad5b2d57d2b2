import type { Command } from 'commander';
import type { ExecResultLine } from '../../../shared/protocol';
import { escapeControls, hasControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { ApprovalError } from '../agent';
import { Core } from '../compose';
import { cliName } from '../config';
import { fanOut, SelectorError } from '../fleet';
import { confirm, untilInterrupted, waitForDecision } from './approval-wait';
import { EXIT, UsageError } from './exit';

interface ExecFlags {
  hosts: string;
  json?: boolean;
  wait?: boolean;
  timeout?: string;
  concurrency?: string;
}

/** The held approval_required lines, with the message saying how it ended. */
function endedLines(held: ExecResultLine[], code: 'approval_required' | 'policy_denied', message: string): ExecResultLine[] {
  return held.map((l) => ({ ...l, error: { code, approvalId: l.error?.approvalId, message } }));
}

/**
 * What happens to the approval an `ask` verdict queued: decided at a terminal prompt,
 * waited for (decided by another process, the API or the UI), or left pending.
 * Returns the lines that replace the held ones and whether Ctrl-C stopped it.
 */
async function settleApproval(core: Core, id: string, held: ExecResultLine[], mode: { interactive: boolean; wait: boolean }): Promise<{ lines: ExecResultLine[]; interrupted: boolean }> {
  const cli = cliName();
  const howToDecide = `decide it with \`${cli} approvals approve ${id}\` or \`${cli} approvals deny ${id}\``;
  const stillPending = (why: string) => {
    process.stderr.write(`${why}: approval ${id} is still pending; ${howToDecide}, and read the result with \`${cli} approvals show ${id}\`\n`);
    return { lines: endedLines(held, 'approval_required', `approval ${id} is still pending (nothing ran yet); ${howToDecide}`), interrupted: true };
  };
  const approval = core.store.approvals.get(id);
  if (!approval) return { lines: held, interrupted: false };
  let waitElsewhere = mode.wait;
  if (mode.interactive) {
    const hidden = hasControls(approval.command);
    process.stderr.write(
      [
        '',
        `Approval needed (${escapeControls(approval.category)}), request ${id}:`,
        `  command:  ${escapeControls(approval.command)}`,
        hidden ? '  WARNING:  the command contains control or invisible characters, shown above as \\x.. / \\u.... escapes; they are part of what runs' : null,
        `  hosts:    ${approval.hosts.map((h) => escapeControls(h)).join(', ')}`,
        `  why:      ${approval.reasons.map((r) => escapeControls(r)).join('; ')}`,
        `  expires:  ${approval.expiresAt}`,
        '',
      ]
        .filter((l) => l !== null)
        .join('\n'),
    );
    const answer = await confirm(`Approve and run it now? [y/N] (${mode.wait ? 'N leaves it pending and waits for a decision elsewhere' : 'N denies it'}) `);
    if (answer === 'interrupted') return stillPending('stopped');
    if (answer === 'yes') {
      try {
        const outcome = await core.approvals.decide(id, { decision: 'approve', actor: 'cli' });
        process.stderr.write(`approved ${id}\n`);
        return { lines: outcome.results, interrupted: false };
      } catch (err) {
        if (!(err instanceof ApprovalError)) throw err;
        process.stderr.write(`could not approve ${id}: ${escapeControls(err.error.message)}\n`);
        return { lines: endedLines(held, err.error.code === 'policy_denied' ? 'policy_denied' : 'approval_required', err.error.message), interrupted: false };
      }
    }
    if (!waitElsewhere) {
      try {
        await core.approvals.decide(id, { decision: 'deny', reason: 'declined at the exec prompt', actor: 'cli' });
      } catch (err) {
        if (!(err instanceof ApprovalError)) throw err;
      }
      process.stderr.write(`denied ${id}; nothing ran\n`);
      return { lines: endedLines(held, 'policy_denied', `the operator declined approval ${id} at the prompt; nothing ran`), interrupted: false };
    }
    waitElsewhere = true;
  }
  if (!waitElsewhere) {
    process.stderr.write(`approval ${id} is pending for ${held.map((l) => escapeControls(l.host)).join(', ')}: ${howToDecide}; \`${cli} approvals show ${id}\` prints the result once it ran (or run exec with --wait)\n`);
    return { lines: held, interrupted: false };
  }
  process.stderr.write(`waiting for a decision on approval ${id} (until ${approval.expiresAt}): ${howToDecide} from another terminal, the API or the UI; Ctrl-C stops waiting and leaves it pending\n`);
  const outcome = await untilInterrupted((signal) => waitForDecision(core.store.approvals, id, signal));
  switch (outcome.kind) {
    case 'interrupted':
      return stillPending('interrupted');
    case 'ran':
      process.stderr.write(`approved ${id}${outcome.approval.decisionReason ? ` (${escapeControls(outcome.approval.decisionReason)})` : ''}; it ran:\n`);
      return { lines: outcome.results, interrupted: false };
    case 'denied': {
      const why = outcome.approval.decisionReason ? `, saying: ${outcome.approval.decisionReason}` : '';
      process.stderr.write(`denied ${id}${escapeControls(why)}; nothing ran\n`);
      return { lines: endedLines(held, 'policy_denied', `the operator denied approval ${id}${why}; nothing ran`), interrupted: false };
    }
    case 'expired':
      process.stderr.write(`approval ${id} expired undecided; nothing ran\n`);
      return { lines: endedLines(held, 'approval_required', `approval ${id} expired undecided; nothing ran (run exec again to ask again)`), interrupted: false };
    case 'no_results':
      process.stderr.write(`approval ${id} was approved, but no result was recorded; \`${cli} approvals show ${id}\` shows it once there is one\n`);
      return { lines: endedLines(held, 'approval_required', `approval ${id} was approved but recorded no result yet`), interrupted: false };
  }
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive whole number, got "${value}"`);
  return n;
}

/**
 * Host output is the host's to choose: a hostile or compromised host can print OSC 52
 * (write the clipboard), cursor movement or a `\r` that rewrites the line. The terminal
 * gets it with every control character shown as an escape; lines and tabs stay. (--json
 * carries the exact text, escaped by JSON.)
 */
function printHuman(line: ExecResultLine): void {
  const out = (text: string) => escapeControls(text, { multiline: true });
  const status = line.ok ? 'ok' : line.error ? line.error.code : `exit ${line.exitCode}`;
  process.stdout.write(`── ${escapeControls(line.host)}: ${status} (${Math.round(line.durationMs)} ms)\n`);
  if (line.stdout) process.stdout.write(out(line.stdout.endsWith('\n') ? line.stdout : `${line.stdout}\n`));
  if (line.stderr) process.stderr.write(out(line.stderr.endsWith('\n') ? line.stderr : `${line.stderr}\n`));
  if (line.error) process.stderr.write(`${escapeControls(line.host)}: ${out(line.error.message)}\n`);
}

export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .description('Run one command on the selected hosts, through the safety policy')
    .requiredOption('--hosts <selector>', 'all, names, globs (web-*), tag:T, comma lists, !exclusions')
    .option('--json', 'one JSON line per host as it finishes: {host, ok, exitCode, stdout, stderr, durationMs, error}')
    .option('--wait', 'when the policy asks for approval: wait until it is decided (elsewhere, or at the prompt on a terminal), then print the result')
    .option('--timeout <seconds>', 'per-host command timeout', '30')
    .option('--concurrency <n>', 'hosts at once', '32')
    .argument('<command...>', 'the command, after --')
    .usage('--hosts SELECTOR [--json] [--wait] -- COMMAND')
    .action(async (words: string[], flags: ExecFlags) => {
      const timeoutMs = positiveInt('--timeout', flags.timeout, 30) * 1000;
      const concurrency = positiveInt('--concurrency', flags.concurrency, 32);
      // One quoted argument is a command line; several are words that need no shell.
      const command = words.length === 1 ? (words[0] as string) : words.join(' ');
      const argv = words.length > 1 ? words : undefined;
      if (!command.trim()) throw new UsageError('the command is empty');
      const core = new Core();
      try {
        let hosts;
        try {
          hosts = core.inventory.select(flags.hosts);
        } catch (err) {
          if (err instanceof SelectorError) throw new UsageError(err.message);
          throw err;
        }
        process.stderr.write(`running on ${hosts.length} host${hosts.length === 1 ? '' : 's'}: ${escapeControls(command)}\n`);
        const emit = (line: ExecResultLine) => (flags.json ? process.stdout.write(`${safeJsonStringify(line)}\n`) : printHuman(line));
        // A confirmation needs a person at a terminal; --json output is for programs.
        const interactive = !flags.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
        // Lines of hosts waiting for approval are held while it may still be decided here.
        const hold = interactive || flags.wait === true;
        const held: ExecResultLine[] = [];
        const ran = await fanOut(core.fleet, core.gate, hosts, {
          command,
          argv,
          requester: 'cli:exec',
          concurrency,
          exec: { timeoutMs },
          requestApproval: (ask) => core.requestApproval({ ...ask, conversationId: null, purpose: null, requester: 'cli:exec' }),
          onResult: (line) => {
            if (line.error?.code === 'approval_required' && line.error.approvalId && hold) held.push(line);
            else emit(line);
          },
        });
        const results = ran.filter((r) => !held.includes(r));
        const pendingId = ran.find((r) => r.error?.code === 'approval_required' && r.error.approvalId)?.error?.approvalId;
        let interrupted = false;
        if (pendingId) {
          const settled = await settleApproval(core, pendingId, held, { interactive, wait: flags.wait === true });
          interrupted = settled.interrupted;
          if (hold) {
            settled.lines.forEach(emit);
            results.push(...settled.lines);
          }
        }
        const failed = results.filter((r) => !r.ok);
        const byCode = new Map<string, number>();
        for (const r of failed) {
          const code = r.error?.code ?? 'exit_code';
          byCode.set(code, (byCode.get(code) ?? 0) + 1);
        }
        const detail = [...byCode].map(([code, n]) => `${n} ${code}`).join(', ');
        process.stderr.write(`${results.length - failed.length}/${results.length} hosts succeeded${detail ? ` (${detail})` : ''}\n`);
        process.exitCode = interrupted ? EXIT.interrupted : failed.length === 0 ? EXIT.ok : EXIT.failure;
      } finally {
        await core.close();
      }
    });
}
