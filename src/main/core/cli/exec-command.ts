import type { Command } from 'commander';
import type { ExecResultLine } from '../../../shared/protocol';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { resolvePaths } from '../config';
import { execViaServer, probeServer } from './cli-client';
import { EXIT, UsageError } from './exit';

interface ExecFlags {
  hosts: string;
  json?: boolean;
  wait?: boolean;
  timeout?: string;
  concurrency?: string;
  verbose?: boolean;
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
    .option('--verbose', 'say on stderr whether the command went through the running server or ran here')
    .argument('<command...>', 'the command, after --')
    .usage('--hosts SELECTOR [--json] [--wait] -- COMMAND')
    .action(async (words: string[], flags: ExecFlags) => {
      const timeoutMs = positiveInt('--timeout', flags.timeout, 30) * 1000;
      const concurrency = positiveInt('--concurrency', flags.concurrency, 32);
      // One quoted argument is a command line; several are words that need no shell.
      const command = words.length === 1 ? (words[0] as string) : words.join(' ');
      const argv = words.length > 1 ? words : undefined;
      if (!command.trim()) throw new UsageError('the command is empty');
      const verbose = (text: string) => {
        if (flags.verbose) process.stderr.write(`fleetmind: ${escapeControls(text)}\n`);
      };
      const emit = (line: ExecResultLine) => (flags.json ? process.stdout.write(`${safeJsonStringify(line)}\n`) : printHuman(line));
      // A confirmation needs a person at a terminal; --json output is for programs.
      const interactive = !flags.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
      // Lines of hosts waiting for approval are held while it may still be decided here.
      const hold = interactive || flags.wait === true;
      const held: ExecResultLine[] = [];
      const on = {
        start: (n: number) => process.stderr.write(`running on ${n} host${n === 1 ? '' : 's'}: ${escapeControls(command)}\n`),
        result: (line: ExecResultLine) => {
          if (line.error?.code === 'approval_required' && line.error.approvalId && hold) held.push(line);
          else emit(line);
        },
      };
      const { dataDir } = resolvePaths();
      // A server for this data dir already has the policy loaded and SSH connections open.
      const probe = await probeServer(dataDir);
      let ran: ExecResultLine[] = [];
      let local: typeof import('./exec-local') | null = null;
      let core: import('../fleet-core').FleetCore | null = null;
      if (probe.kind === 'server') {
        verbose(`exec via the server (socket ${probe.path})`);
        ran = await execViaServer(probe, { hosts: flags.hosts, command, argv, concurrency, timeoutMs }, on);
      } else {
        verbose(`exec locally: ${probe.why}`);
        local = await import('./exec-local');
        core = local.openCore();
      }
      try {
        if (local && core) ran = await local.execOnCore(core, { hosts: flags.hosts, command, argv, concurrency, timeoutMs }, on);
        const heldHosts = new Set(held.map((l) => l.host));
        const results = ran.filter((r) => !heldHosts.has(r.host));
        const pendingId = ran.find((r) => r.error?.code === 'approval_required' && r.error.approvalId)?.error?.approvalId;
        let interrupted = false;
        if (pendingId) {
          // Waiting reads the store, shared with any server; deciding at the prompt goes to the
          // server that queued the approval (it owns the queue), else to this process.
          local ??= await import('./exec-local');
          core ??= local.openCore();
          const desk = probe.kind === 'server' ? local.serverDesk(dataDir, core) : local.coreDesk(core);
          const settled = await local.settleApproval(desk, pendingId, held, { interactive, wait: flags.wait === true });
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
        await core?.close();
      }
    });
}
