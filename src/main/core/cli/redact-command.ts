import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { Redactor } from '../privacy';
import { EXIT, UsageError } from './exit';

/** Writes a line, waiting when the pipe is full; false once the reader is gone. */
function writeLine(line: string): Promise<boolean> | boolean {
  const out = process.stdout;
  if (out.destroyed) return false;
  if (out.write(`${line}\n`)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

/**
 * `fleetmind redact --jsonl`: `{"text": string}` lines on stdin → `{"text", "findings"}` lines on
 * stdout (DESIGN contract). One redaction session for the whole run, so a secret keeps its
 * placeholder number across lines. A bad line gets `{"error": {"code", "message"}, "line"}` on
 * its own line and the run exits 1 at the end. Cold path: only the privacy module, no store,
 * no policy, no config.
 */
async function redactJsonl(): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`fleetmind redact: ${err.message}\n`);
    process.stdout.destroy();
  });
  const redactor = new Redactor();
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let invalid = 0;
  for await (const raw of rl) {
    lineNumber++;
    if (!raw.trim()) continue;
    let text: string;
    try {
      const value = JSON.parse(raw) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { text?: unknown }).text !== 'string') {
        throw new Error('text must be a string');
      }
      text = (value as { text: string }).text;
    } catch (err) {
      invalid++;
      const message = `line ${lineNumber}: ${(err as Error).message}; expected {"text": string}`;
      process.stderr.write(`fleetmind redact: ${message}\n`);
      if (!(await writeLine(JSON.stringify({ error: { code: 'invalid_input', message }, line: lineNumber })))) break;
      continue;
    }
    const result = redactor.redact(text);
    if (!(await writeLine(JSON.stringify({ text: result.text, findings: result.findings })))) break;
  }
  rl.close();
  if (invalid > 0) process.exitCode = EXIT.failure;
}

/** Plain mode: stdin text → redacted text on stdout; the findings' count on stderr. */
async function redactPlain(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const result = new Redactor().redact(Buffer.concat(chunks).toString('utf8'));
  process.stdout.write(result.text);
  process.stderr.write(`fleetmind redact: ${result.findings.length} secret(s) redacted\n`);
}

export function registerRedactCommand(program: Command): void {
  program
    .command('redact')
    .description('Replace secrets in text with typed placeholders ([REDACTED:type#n]). With --jsonl, reads {"text"} lines on stdin and writes {"text","findings"} lines')
    .option('--jsonl', 'JSON Lines on stdin and stdout')
    .argument('[extra...]')
    .action(async (extra: string[], flags: { jsonl?: boolean }) => {
      if (extra.length > 0) throw new UsageError('redact reads stdin; it takes no arguments');
      if (flags.jsonl) await redactJsonl();
      else await redactPlain();
    });
}
