import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The data dir holds credentials (the operator token, the audit key, the store with
 * conversations and tool output), so it is 0700 and everything in it 0600 (directories
 * 0700), whoever created it and whatever the umask was. Run at every open, which also
 * fixes data dirs from older versions. Symlinks are left alone (never chmod a target),
 * and so are entries another user owns.
 */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  tighten(dir);
}

const uid = typeof process.getuid === 'function' ? process.getuid() : null;

function tighten(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      continue; // removed meanwhile
    }
    if (stat.isSymbolicLink() || (uid !== null && uid !== 0 && stat.uid !== uid)) continue;
    if (stat.isDirectory()) {
      if ((stat.mode & 0o777) !== 0o700) chmodSync(path, 0o700);
      tighten(path);
    } else if (stat.isFile() && (stat.mode & 0o777) !== 0o600) {
      chmodSync(path, 0o600);
    }
  }
}

/** Creates `file` 0600 if missing and makes it 0600 if it exists (before SQLite opens it). */
export function privateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/** SQLite's side files (WAL, shared memory, rollback journal) hold the same data: 0600 too. */
export function privateSideFiles(file: string): void {
  for (const suffix of ['-wal', '-shm', '-journal']) {
    const side = `${file}${suffix}`;
    if (existsSync(side) && (lstatSync(side).mode & 0o777) !== 0o600) chmodSync(side, 0o600);
  }
}
