import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { AnomalyDetector } from '../anomaly';
import { CliFailure, UsageError } from './exit';

/** Writes text, waiting while the pipe is full. */
function write(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}

/**
 * `fleetmind anomaly detect --csv FILE` (DESIGN): NAB-style `timestamp,value` in,
 * `timestamp,value,anomaly_score` out, scored causally (one detector fed row by row, so a
 * row's score depends only on rows before and at it). A header line is passed through with
 * the new column; a row whose value is not a number scores 0 and is not learned from.
 */
export async function detectCsv(path: string): Promise<void> {
  const input = createReadStream(path === '-' ? '/dev/stdin' : path);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (e) => reject(new CliFailure(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
  });
  await opened;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const detector = new AnomalyDetector();
  let out = '';
  let first = true;
  for await (const line of lines) {
    if (line === '') continue;
    const comma = line.lastIndexOf(',');
    const raw = comma < 0 ? line : line.slice(comma + 1);
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (first) {
      first = false;
      if (Number.isNaN(value)) {
        out += `${line},anomaly_score\n`;
        continue;
      }
    }
    out += `${line},${detector.update(value).toFixed(6)}\n`;
    if (out.length > 1 << 16) {
      await write(out);
      out = '';
    }
  }
  if (out) await write(out);
}

export function registerAnomalyCommand(program: Command): void {
  const anomaly = program.command('anomaly').description('Streaming anomaly detection: score a series (timestamp,value CSV) causally, as the monitor does');
  anomaly
    .command('detect')
    .description('Read timestamp,value rows (NAB style) and write timestamp,value,anomaly_score rows; score in [0,1], causal')
    .requiredOption('--csv <file>', 'the CSV file to score (- for stdin)')
    .argument('[extra...]')
    .action(async (extra: string[], flags: { csv: string }) => {
      if (extra.length > 0) throw new UsageError('anomaly detect takes no arguments besides --csv FILE');
      await detectCsv(flags.csv);
    });
}
