import type { Command } from 'commander';
import type { ExecResultLine } from '../../../shared/protocol';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { Core } from '../compose';
import { fanOut, SelectorError } from '../fleet';
import { EXIT, UsageError } from './exit';

interface ExecFlags {
  hosts: string;
  json?: boolean;
  timeout?: string;
  concurrency?: string;
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
    .option('--timeout <seconds>', 'per-host command timeout', '30')
    .option('--concurrency <n>', 'hosts at once', '32')
    .argument('<command...>', 'the command, after --')
    .usage('--hosts SELECTOR [--json] -- COMMAND')
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
        const results = await fanOut(core.fleet, core.gate, hosts, {
          command,
          argv,
          requester: 'cli:exec',
          concurrency,
          exec: { timeoutMs },
          onResult: (line) => (flags.json ? process.stdout.write(`${safeJsonStringify(line)}\n`) : printHuman(line)),
        });
        const failed = results.filter((r) => !r.ok);
        const byCode = new Map<string, number>();
        for (const r of failed) {
          const code = r.error?.code ?? 'exit_code';
          byCode.set(code, (byCode.get(code) ?? 0) + 1);
        }
        const detail = [...byCode].map(([code, n]) => `${n} ${code}`).join(', ');
        process.stderr.write(`${results.length - failed.length}/${results.length} hosts succeeded${detail ? ` (${detail})` : ''}\n`);
        process.exitCode = failed.length === 0 ? EXIT.ok : EXIT.failure;
      } finally {
        await core.close();
      }
    });
}
