import { constants, closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyText } from './compiled';
import type { ParsedPolicyOverrides, PolicyFile, PolicyOverrides } from './spec';

/**
 * The policy snapshot: what loading the policy produces before it is compiled (every file
 * parsed from YAML and validated, every override validated), written once the policy has
 * passed all its `match`/`not_match` examples. A later start with the same inputs reads it
 * instead of parsing ~300 KB of YAML and re-proving every example (bench: cli, the largest
 * part of a cold `fleetmind exec`).
 *
 * Reading it means trusting it instead of the YAML, so it is authenticated: an HMAC-SHA256
 * with a random key kept in the data dir (mode 0600, created on first use) covers the
 * snapshot's bytes and the content key they were made from. Anything that does not verify
 * (edited or truncated bytes, a key that was removed, replaced or is readable by others, a
 * snapshot of other inputs) is ignored and the policy is compiled and proven from the YAML
 * again; the snapshot is only ever a shortcut to the result the slow path gives.
 */

/** Where snapshots live and the file holding their MAC key. */
export interface SnapshotLocation {
  dir: string;
  keyFile: string;
}

/** The cache dir and key file in a data dir (the key sits beside the other credentials, outside the cache). */
export function policySnapshotLocation(dataDir: string): SnapshotLocation {
  return { dir: join(dataDir, 'cache'), keyFile: join(dataDir, SNAPSHOT_KEY_FILE) };
}

export const SNAPSHOT_KEY_FILE = 'policy-snapshot.key';
const SNAPSHOT_PREFIX = 'policy-snapshot-';
/**
 * Snapshots kept per data dir, newest first: builds of different versions (an installed
 * package and a checkout, the desktop app and a CLI) and a policy.yaml switched back and
 * forth each find theirs instead of overwriting each other's at every start.
 */
const KEEP_SNAPSHOTS = 4;
/** Left by versions that remembered proofs without a MAC; never read, removed when a snapshot is written. */
const LEGACY_VERIFIED_FILE = 'policy-verified.json';
/** Bumped whenever the payload's shape changes. */
const FORMAT = 'fleetmind-policy-snapshot/1';
const KEY_BYTES = 32;

/** Everything the loaded policy is made from: a change to any of it is a different policy. */
export interface PolicyInputs {
  defaults: readonly PolicyText[];
  /** The user's override file as read (null when there is none). */
  userFile: { name: string; text: string } | null;
  /** Overrides given in code, and the data dir's credential rule. */
  overrides: readonly { name: string; overrides: PolicyOverrides }[];
  dataDir: string | null;
  /** engineIdentity() of the code that compiles and judges. */
  engine: string;
}

/** The validated sources, as the compiler takes them. */
export interface SnapshotSources {
  defaults: PolicyText[];
  overrides: { name: string; data: ParsedPolicyOverrides }[];
}

interface Payload {
  defaults: { name: string; file: PolicyFile }[];
  overrides: { name: string; data: ParsedPolicyOverrides }[];
}

export type SnapshotEvent =
  | { kind: 'used'; path: string }
  | { kind: 'absent'; path: string; reason: string }
  | { kind: 'rejected'; path: string; reason: string }
  | { kind: 'written'; path: string }
  | { kind: 'write-failed'; path: string; reason: string };

const engineDigests = new Map<string, string>();

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/**
 * What else decides the result besides the inputs: the policy engine's code, the YAML and
 * schema libraries and the grammar. `moduleUrl` is a module that imports the whole engine
 * (load.ts): in the bundle, the chunk it was built into, by content (the bundler names chunks
 * by the hash of their code, and a chunk imports the others by those names, so a change
 * anywhere in the engine changes this file); run from the sources (tests), every source file of the safety module.
 */
export function engineIdentity(moduleUrl: string, wasmPath?: string): string {
  const cacheKey = `${moduleUrl}\0${wasmPath ?? ''}`;
  const known = engineDigests.get(cacheKey);
  if (known) return known;
  const digest = createHash('sha256');
  const file = fileURLToPath(moduleUrl);
  if (file.endsWith('.ts')) {
    const safetyDir = join(dirname(file), '..');
    for (const source of sourceFiles(safetyDir)) digest.update(`${source}\0`).update(readFileSync(source)).update('\0');
  } else digest.update(readFileSync(file));
  const require = createRequire(moduleUrl);
  for (const pkg of ['yaml', 'zod', 'tree-sitter-bash']) {
    try {
      digest.update(`${pkg}@${(JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version?: string }).version}\0`);
    } catch {
      digest.update(`${pkg}@?\0`);
    }
  }
  // The runtime and the grammar by file identity (a reinstall rewrites them).
  const files: string[] = [];
  try {
    files.push(require.resolve('web-tree-sitter'));
  } catch {
    // not installed: the grammar cannot load anyway
  }
  try {
    files.push(wasmPath ?? join(dirname(require.resolve('tree-sitter-bash/package.json')), 'tree-sitter-bash.wasm'));
  } catch {
    // idem
  }
  for (const f of files) {
    try {
      const s = statSync(f);
      digest.update(`${f}\0${s.size}\0${s.mtimeMs}\0${s.ino}\0`);
    } catch {
      digest.update(`${f}\0missing\0`);
    }
  }
  const id = digest.digest('hex');
  engineDigests.set(cacheKey, id);
  return id;
}

/** The content key: the engine and every input, length-prefixed so no two inputs run together. */
export function snapshotKey(inputs: PolicyInputs): string {
  const digest = createHash('sha256');
  const field = (text: string) => {
    digest.update(`${Buffer.byteLength(text)}:`);
    digest.update(text);
  };
  field(FORMAT);
  field(inputs.engine);
  field(String(inputs.defaults.length));
  for (const d of inputs.defaults) {
    field(d.name);
    field(d.text);
  }
  field(inputs.userFile ? `user:${inputs.userFile.name}` : 'no user file');
  if (inputs.userFile) field(inputs.userFile.text);
  field(String(inputs.overrides.length));
  for (const o of inputs.overrides) {
    field(o.name);
    field(JSON.stringify(o.overrides));
  }
  field(inputs.dataDir ?? 'no data dir');
  return digest.digest('hex');
}

function mac(key: Buffer, contentKey: string, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(`${FORMAT}\0${contentKey}\0`).update(payload).digest();
}

/**
 * Reads the MAC key: a regular file of ours, not a link, readable by nobody else. A key that
 * others could read or replace vouches for nothing: it is treated as missing.
 */
function readKey(path: string): { key: Buffer } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    return { problem: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no snapshot key' : `the snapshot key cannot be opened (${(err as Error).message})` };
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) return { problem: 'the snapshot key is not a regular file' };
    if (typeof process.getuid === 'function' && s.uid !== process.getuid()) return { problem: 'the snapshot key belongs to another user' };
    if ((s.mode & 0o077) !== 0) return { problem: `the snapshot key is readable or writable by others (mode ${(s.mode & 0o777).toString(8)})` };
    const text = Buffer.alloc(128);
    const n = readSync(fd, text, 0, text.length, 0);
    const hex = text.subarray(0, n).toString('utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) return { problem: 'the snapshot key file does not hold a key' };
    return { key: Buffer.from(hex, 'hex') };
  } finally {
    closeSync(fd);
  }
}

/** The key for writing: the existing one when it is sound, else a new one (replacing an unsound file). */
function keyForWriting(path: string): Buffer {
  const existing = readKey(path);
  if ('key' in existing) return existing.key;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  if (existing.problem === 'no snapshot key') {
    try {
      writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      return key;
    } catch (err) {
      // Another process created it first: use theirs when it is sound.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const theirs = readKey(path);
      if ('key' in theirs) return theirs.key;
    }
  }
  // Replace an unsound key file in one step (a new name, renamed over it).
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
  return key;
}

/** The snapshot file for a content key (named by it, so several policies' snapshots live side by side). */
export function snapshotPath(location: SnapshotLocation, contentKey: string): string {
  return join(location.dir, `${SNAPSHOT_PREFIX}${contentKey.slice(0, 32)}`);
}

/**
 * The snapshot for these inputs, when one exists and verifies. `onEvent` hears why one was
 * not used; reading never throws (the caller compiles from the YAML instead).
 */
export function readSnapshot(location: SnapshotLocation, inputs: PolicyInputs, onEvent: (event: SnapshotEvent) => void = () => undefined): SnapshotSources | null {
  const contentKey = snapshotKey(inputs);
  const path = snapshotPath(location, contentKey);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    onEvent({ kind: 'absent', path, reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no snapshot of this policy yet' : (err as Error).message });
    return null;
  }
  const reject = (reason: string): null => {
    onEvent({ kind: 'rejected', path, reason });
    return null;
  };
  try {
    const newline = bytes.indexOf(0x0a);
    if (newline < 0) return reject('the snapshot has no header');
    const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as { format?: unknown; key?: unknown; mac?: unknown };
    if (header.format !== FORMAT) return reject(`the snapshot is of another format (${String(header.format)})`);
    // The name carries only part of the key: the whole key is checked here, and covered by the MAC.
    if (header.key !== contentKey) return reject('the snapshot was made for other inputs than its name says');
    if (typeof header.mac !== 'string' || !/^[0-9a-f]{64}$/.test(header.mac)) return reject('the snapshot has no MAC');
    const key = readKey(location.keyFile);
    if ('problem' in key) return reject(`it cannot be verified: ${key.problem}`);
    const payload = bytes.subarray(newline + 1);
    if (!timingSafeEqual(mac(key.key, contentKey, payload), Buffer.from(header.mac, 'hex'))) return reject('its MAC does not verify (the file was changed, or the key was)');
    const data = JSON.parse(payload.toString('utf8')) as Payload;
    // The MAC says we wrote it for exactly these inputs; the shape still has to line up with them.
    if (!Array.isArray(data.defaults) || data.defaults.length !== inputs.defaults.length || !Array.isArray(data.overrides)) return reject('the snapshot does not match the policy files');
    const defaults: PolicyText[] = [];
    for (const [i, text] of inputs.defaults.entries()) {
      const entry = data.defaults[i];
      if (!entry || entry.name !== text.name || typeof entry.file !== 'object' || entry.file === null) return reject('the snapshot does not match the policy files');
      defaults.push({ name: text.name, text: text.text, validated: entry.file });
    }
    onEvent({ kind: 'used', path });
    return { defaults, overrides: data.overrides };
  } catch (err) {
    return reject(`it cannot be read (${(err as Error).message})`);
  }
}

/** Removes all but the newest snapshots, and the unauthenticated proof file of earlier versions. */
function pruneSnapshots(dir: string): void {
  rmSync(join(dir, LEGACY_VERIFIED_FILE), { force: true });
  const snapshots = readdirSync(dir)
    .filter((name) => name.startsWith(SNAPSHOT_PREFIX) && !name.endsWith('.tmp'))
    .map((name) => {
      try {
        return { name, mtimeMs: statSync(join(dir, name)).mtimeMs };
      } catch {
        return { name, mtimeMs: 0 };
      }
    })
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of snapshots.slice(KEEP_SNAPSHOTS)) rmSync(join(dir, old.name), { force: true });
}

/** Writes the snapshot of a policy that compiled and passed every example. Best effort: a failure is reported, not thrown. */
export function writeSnapshot(location: SnapshotLocation, inputs: PolicyInputs, sources: SnapshotSources, onEvent: (event: SnapshotEvent) => void = () => undefined): void {
  const contentKey = snapshotKey(inputs);
  const path = snapshotPath(location, contentKey);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const defaults = sources.defaults.map((d) => {
      if (!d.validated) throw new Error(`${d.name} was not validated`);
      return { name: d.name, file: d.validated };
    });
    const payload = Buffer.from(JSON.stringify({ defaults, overrides: sources.overrides } satisfies Payload), 'utf8');
    const key = keyForWriting(location.keyFile);
    const header = JSON.stringify({ format: FORMAT, key: contentKey, mac: mac(key, contentKey, payload).toString('hex') });
    mkdirSync(location.dir, { recursive: true, mode: 0o700 });
    // Written under a new name and renamed: a reader sees the old snapshot or the new one, never half of one.
    writeFileSync(tmp, Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), payload]), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    pruneSnapshots(location.dir);
    onEvent({ kind: 'written', path });
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
    onEvent({ kind: 'write-failed', path, reason: (err as Error).message });
  }
}
