import type { Command } from 'commander';
import { Redactor } from '../privacy';
import { EXIT, UsageError } from './exit';

/**
 * Output lines encoded straight into one buffer as they are made (no long string of many
 * pieces to flatten and encode again at write time); handed to stdout once per input chunk.
 */
class OutputBatch {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private used = 0;

  /** Appends `text` and a line feed. */
  line(text: string): void {
    const need = this.used + text.length * 3 + 1; // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (need > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buffer.length * 2));
      this.buffer.copy(bigger, 0, 0, this.used);
      this.buffer = bigger;
    }
    this.used += this.buffer.write(text, this.used);
    this.buffer[this.used++] = 10;
  }

  /** The lines so far (a fresh buffer takes the next ones); null when there are none. */
  take(): Buffer | null {
    if (this.used === 0) return null;
    const lines = this.buffer.subarray(0, this.used);
    this.buffer = Buffer.allocUnsafe(1 << 16);
    this.used = 0;
    return lines;
  }
}

/** Writes a batch of lines, waiting when the pipe is full; false once the reader is gone. */
function writeOut(text: Buffer): Promise<boolean> | boolean {
  const out = process.stdout;
  if (out.destroyed) return false;
  if (out.write(text)) return true;
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
 * Splits the input bytes into lines as readline does (\n, \r\n, a lone \r; \r\n across two
 * chunks is one line end) without its per-line events, and decodes each line on its own: the
 * hot path is a byte search, and a line of ASCII stays a one-byte string even when its
 * neighbours are not.
 */
class LineSplitter {
  /** The unfinished line: chunks (or their tails) that had no line end yet. */
  private pending: Buffer[] = [];
  private sawReturn = false;

  /** Calls `line` for each complete line; keeps the unfinished tail. */
  push(chunk: Buffer, line: (text: string) => void): void {
    let start = 0;
    if (this.sawReturn && chunk.length > 0) {
      if (chunk[0] === 10) start = 1;
      this.sawReturn = false;
    }
    if (chunk.indexOf(13, start) < 0) {
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        line(this.take(chunk, start, nl));
        start = nl + 1;
      }
    } else {
      for (let i = start; i < chunk.length; i++) {
        const c = chunk[i];
        if (c !== 10 && c !== 13) continue;
        line(this.take(chunk, start, i));
        if (c === 13) {
          if (i + 1 === chunk.length) this.sawReturn = true;
          else if (chunk[i + 1] === 10) i++;
        }
        start = i + 1;
      }
    }
    if (start < chunk.length) this.pending.push(start === 0 ? chunk : chunk.subarray(start));
  }

  /** The last line when the input does not end with a line end. */
  end(line: (text: string) => void): void {
    if (this.pending.length > 0) line(this.take(Buffer.alloc(0), 0, 0));
  }

  private take(chunk: Buffer, start: number, end: number): string {
    if (this.pending.length === 0) return chunk.toString('utf8', start, end);
    const bytes = Buffer.concat([...this.pending, chunk.subarray(start, end)]);
    this.pending = [];
    return bytes.toString('utf8');
  }
}

/**
 * `fleetmind redact --jsonl`: `{"text": string}` lines on stdin → `{"text", "findings"}` lines on
 * stdout (DESIGN contract). One redaction session for the whole run, so a secret keeps its
 * placeholder number across lines. A bad line gets `{"error": {"code", "message"}, "line"}` on
 * its own line and the run exits 1 at the end. Cold path: only the privacy module, no store,
 * no policy, no config. Input is read in large chunks and the answers to a chunk go out in one
 * write as soon as it is done (a caller feeding one line at a time still gets each answer).
 */
async function redactJsonl(): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`fleetmind redact: ${err.message}\n`);
    process.stdout.destroy();
  });
  const redactor = new Redactor();
  const lines = new LineSplitter();
  let lineNumber = 0;
  let invalid = 0;
  const batch = new OutputBatch();
  const answer = (raw: string): void => {
    lineNumber++;
    if (!raw.trim()) return;
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
      batch.line(JSON.stringify({ error: { code: 'invalid_input', message }, line: lineNumber }));
      return;
    }
    const result = redactor.redact(text);
    batch.line(JSON.stringify({ text: result.text, findings: result.findings }));
  };
  const flush = async (): Promise<boolean> => {
    const lines = batch.take();
    return lines === null ? true : writeOut(lines);
  };
  let open = true;
  for await (const chunk of process.stdin) {
    lines.push(chunk as Buffer, answer);
    if (!(await flush())) {
      open = false;
      break;
    }
  }
  if (open) {
    lines.end(answer);
    await flush();
  }
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
