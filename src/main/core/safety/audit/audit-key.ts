import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditKeyError } from './audit-log';

export const AUDIT_KEY_FILE = 'audit.key';

function parseKey(path: string): Buffer {
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/i.test(text)) throw new AuditKeyError(`${path} does not hold a hex audit key`);
  return Buffer.from(text, 'hex');
}

/** Reads the audit key from the data dir; null when there is none yet. */
export function readAuditKey(dataDir: string): Buffer | null {
  const path = join(dataDir, AUDIT_KEY_FILE);
  if (!existsSync(path)) return null;
  return parseKey(path);
}

/**
 * Reads the audit key, creating it (32 random bytes, mode 0600) on first use.
 * The key signs checkpoints; whoever holds it can forge them, so it never leaves the data dir.
 */
export function loadOrCreateAuditKey(dataDir: string): Buffer {
  const path = join(dataDir, AUDIT_KEY_FILE);
  if (existsSync(path)) {
    // Tighten a key file that was copied around with looser permissions.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return parseKey(path);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseKey(path);
    throw err;
  }
  return key;
}
