import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CsvSeriesError, forecastCrossing, parseSeriesCsv, type Direction } from '../forecast';
import { CliFailure, UsageError } from './exit';

/** A CSV bigger than this is refused before it is read into memory. */
const MAX_CSV_BYTES = 256 * 1024 * 1024;

/** stdin as a stream (a pipe, a file or a socket: /dev/stdin cannot open a socket). */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_CSV_BYTES) throw new CliFailure(`stdin is larger than ${MAX_CSV_BYTES / 1024 / 1024} MiB`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readInput(path: string): Promise<string> {
  try {
    const buffer = path === '-' ? await readStdin() : await readFile(path);
    if (buffer.length > MAX_CSV_BYTES) throw new CliFailure(`${path} is larger than ${MAX_CSV_BYTES / 1024 / 1024} MiB`);
    return buffer.toString('utf8');
  } catch (err) {
    if (err instanceof CliFailure) throw err;
    throw new CliFailure(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/**
 * `fleetmind forecast --csv FILE --limit L` (DESIGN): `timestamp,value` in, JSON
 * `{"crossesAt", "low", "high"}` out — when the series is predicted to reach L, with an
 * 80 % interval, as the monitor's forecasts compute it (a robust trend, resets such as log
 * rotation handled). Nulls when it is not heading there.
 */
export function registerForecastCommand(program: Command): void {
  program
    .command('forecast')
    .description('Predict when a series (timestamp,value CSV) reaches a limit: JSON {crossesAt, low, high}, an 80 % interval')
    .requiredOption('--csv <file>', 'the CSV file (- for stdin)')
    .requiredOption('--limit <number>', 'the level to reach (e.g. 1 for a full disk as a ratio, 0 for memory running out)')
    .option('--direction <up|down>', 'towards a limit above or below the series (default: from where the series starts)')
    .argument('[extra...]')
    .action(async (extra: string[], flags: { csv: string; limit: string; direction?: string }) => {
      if (extra.length > 0) throw new UsageError('forecast takes no arguments besides --csv FILE --limit L');
      const limit = Number(flags.limit);
      if (flags.limit.trim() === '' || !Number.isFinite(limit)) throw new UsageError(`--limit must be a number, not ${JSON.stringify(flags.limit)}`);
      if (flags.direction !== undefined && flags.direction !== 'up' && flags.direction !== 'down') throw new UsageError('--direction is up or down');
      const text = await readInput(flags.csv);
      let points;
      try {
        points = parseSeriesCsv(text);
      } catch (err) {
        if (err instanceof CsvSeriesError) throw new CliFailure(`${flags.csv}: ${err.message}`);
        throw err;
      }
      if (points.length === 0) throw new CliFailure(`${flags.csv}: no timestamp,value rows`);
      const f = forecastCrossing(points, limit, { direction: flags.direction as Direction | undefined });
      process.stdout.write(`${JSON.stringify({ crossesAt: iso(f.crossesAt), low: iso(f.low), high: iso(f.high) })}\n`);
    });
}
