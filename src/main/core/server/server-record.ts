import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `<data dir>/server.json` (0600): where the running server listens, so `fleetmind ui-link`
 * prints a link to the right address even with `--port 0`. Written once listening,
 * removed on a clean stop; a record whose process is gone is ignored.
 */
export const SERVER_RECORD_FILE = 'server.json';

interface ServerRecord {
  url: string;
  pid: number;
}

export function writeServerRecord(dataDir: string, url: string): void {
  const record: ServerRecord = { url, pid: process.pid };
  writeFileSync(join(dataDir, SERVER_RECORD_FILE), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export function removeServerRecord(dataDir: string): void {
  try {
    const record = JSON.parse(readFileSync(join(dataDir, SERVER_RECORD_FILE), 'utf8')) as ServerRecord;
    if (record.pid === process.pid) rmSync(join(dataDir, SERVER_RECORD_FILE), { force: true });
  } catch {
    // none, or another server's
  }
}

/** The URL of the server running on this data dir, if one is. */
export function readServerRecord(dataDir: string): string | null {
  try {
    const record = JSON.parse(readFileSync(join(dataDir, SERVER_RECORD_FILE), 'utf8')) as ServerRecord;
    if (typeof record.url !== 'string' || !Number.isInteger(record.pid)) return null;
    try {
      process.kill(record.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
    }
    return record.url;
  } catch {
    return null;
  }
}
