import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogId, readAnchoredHeads } from '../src/main/core/audit-anchor';
import { Core } from '../src/main/core/compose';
import { fanOut } from '../src/main/core/fleet';
import { AuditLog } from '../src/main/core/safety';
import { MemorySecretStore } from '../src/main/core/secrets';
import { ensureBuilt, repoRoot } from './helpers/build';

const home = mkdtempSync(join(tmpdir(), 'fm-audit-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: { ...process.env, FLEETMIND_HOME: home }, encoding: 'utf8', timeout: 30_000 });

describe('every face records into one tamper-evident audit log', () => {
  it('records the request, tool calls, policy decisions and executions of a turn and of exec', async () => {
    const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets: new MemorySecretStore() });
    try {
      await core.ready();
      const response = await core.chat({ message: 'Show server status' }, { actor: 'test' });
      const hosts = core.inventory.select('localhost');
      await fanOut(core.fleet, core.gate, hosts, { command: 'uname -r', requester: 'test:exec' });
      await fanOut(core.fleet, core.gate, hosts, { command: 'rm -rf /tmp/fm-never', requester: 'test:exec' });
      const entries = core.auditLog.list({ limit: 100_000 });
      const kinds = entries.map((e) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(['request', 'tool_call', 'decision', 'execution']));
      expect(entries.find((e) => e.kind === 'request')).toMatchObject({ actor: 'test', subject: response.conversationId });
      expect(entries.find((e) => e.kind === 'tool_call')).toMatchObject({ subject: 'server_status', host: 'localhost' });
      const exec = entries.find((e) => e.kind === 'execution' && e.subject === 'uname -r');
      expect(exec).toMatchObject({ actor: 'test:exec', host: 'localhost', data: expect.objectContaining({ exitCode: 0, stdoutSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }) });
      const refused = entries.find((e) => e.kind === 'decision' && e.subject === 'rm -rf /tmp/fm-never');
      expect(refused?.data.decision).not.toBe('allow');
      expect(entries.some((e) => e.kind === 'execution' && e.subject === 'rm -rf /tmp/fm-never')).toBe(false);
      // The output itself is not in the log, only its hash.
      expect(JSON.stringify(entries)).not.toContain(release());
    } finally {
      await core.close();
    }
  });

  it('`fleetmind audit verify` passes on the real log and names the first broken row after an edit', () => {
    const ok = cli('audit', 'verify');
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const db = new Database(join(home, 'fleetmind.db'));
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    const table = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'audit%' AND name NOT LIKE '%checkpoint%'").get() as { name: string }).name;
    const row = db.prepare(`SELECT seq FROM "${table}" WHERE kind = 'execution' ORDER BY seq LIMIT 1`).get() as { seq: number };
    db.prepare(`UPDATE "${table}" SET actor = 'someone-else' WHERE seq = ?`).run(row.seq);
    db.close();
    const broken = cli('audit', 'verify');
    expect(broken.status).toBe(1);
    expect(broken.stdout + broken.stderr).toMatch(new RegExp(`\\b${row.seq}\\b`));
  });
});

/**
 * The attacks of "Safety 3/3" item 4, against the built CLI: an attacker with the database
 * file removes the newest rows (what a CLI run just did); knowing the checkpoints vouch for
 * them, also the newest checkpoints; or rewrites the log and signs it again with the key
 * beside it. The first is caught by the checkpoint every process signs as it ends; the
 * others only against a head anchored outside the data dir (`fleetmind audit head`).
 */
describe('the newest rows, the checkpoints and anchored heads', () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  /** A data dir, fresh or a copy of `from` (copied while no process has it open). */
  function fleet(from?: string) {
    const dataDir = mkdtempSync(join(tmpdir(), 'fm-audit-tail-'));
    homes.push(dataDir);
    if (from) cpSync(from, dataDir, { recursive: true });
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: { ...process.env, FLEETMIND_HOME: dataDir }, encoding: 'utf8', timeout: 60_000 });
    const ok = (...args: string[]) => {
      const r = run(...args);
      expect(r.status, `fleetmind ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return r;
    };
    /** What the attacker does with the database file: drop the triggers, then change what gives them away. */
    const tamper = <T>(fn: (db: Database.Database) => T): T => {
      const db = new Database(join(dataDir, 'fleetmind.db'));
      try {
        for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit%'").all() as { name: string }[]) db.exec(`DROP TRIGGER "${t.name}"`);
        return fn(db);
      } finally {
        db.close();
      }
    };
    const lastSeq = () => tamper((db) => (db.prepare('SELECT MAX(seq) AS seq FROM audit_log').get() as { seq: number }).seq);
    return { dataDir, run, ok, tamper, lastSeq };
  }

  /** Audited work through two CLI processes, done once; each test attacks a copy. */
  let worked: string;
  beforeAll(() => {
    const f = fleet();
    f.ok('hosts', 'add', 'web-1', '--address', '192.0.2.10');
    f.ok('exec', '--hosts', 'localhost', '--', 'uptime');
    worked = f.dataDir;
  });

  it('`audit verify` names newest rows removed after CLI runs: every process signs a checkpoint as it ends', () => {
    const f = fleet(worked);
    f.ok('audit', 'verify');
    const end = f.lastSeq();
    expect(end).toBeGreaterThanOrEqual(3);
    // The exec's decision and execution rows go.
    f.tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq > ?').run(end - 2));
    const broken = f.run('audit', 'verify');
    expect(broken.status, broken.stdout + broken.stderr).toBe(1);
    expect(broken.stderr).toContain(`rows ${end - 1} to ${end} were removed from the end of the log`);
  });

  it('`audit head` prints the head to keep elsewhere; `audit verify --head` passes while the log holds it', () => {
    const f = fleet(worked);
    const head = f.ok('audit', 'head');
    const end = f.lastSeq();
    expect(head.stdout).toMatch(new RegExp(`^${end}:[0-9a-f]{64}\n$`));
    expect(head.stderr).toContain(`fleetmind audit verify --head ${head.stdout.trim()}`);
    const json = JSON.parse(f.ok('audit', 'head', '--json').stdout) as { seq: number; hash: string; at: string; log: string };
    expect(json).toEqual({ seq: end, hash: head.stdout.trim().split(':')[1], at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), log: expect.stringMatching(/^[0-9a-f]{16}$/) });
    // More work later; the old head is still in the log, unchanged.
    f.ok('exec', '--hosts', 'localhost', '--', 'uname', '-r');
    const checked = f.ok('audit', 'verify', '--head', head.stdout.trim());
    expect(checked.stdout).toMatch(/intact: .*1 anchored head found unchanged \(newest: row \d+\)/);
    const asJson = JSON.parse(f.ok('audit', 'verify', '--json', '--head', head.stdout.trim()).stdout) as Record<string, unknown>;
    expect(asJson).toMatchObject({ ok: true, anchors: { checked: 1, pruned: 0, newestSeq: end } });
  });

  it('removing the newest rows and the checkpoints that vouch for them is caught only against an anchored head', () => {
    const f = fleet(worked);
    const head = f.ok('audit', 'head').stdout.trim();
    const end = f.lastSeq();
    f.tamper((db) => {
      db.prepare('DELETE FROM audit_log WHERE seq > ?').run(end - 2);
      db.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(end - 2);
    });
    // The key beside the database cannot tell: what is left is a valid, signed log.
    f.ok('audit', 'verify');
    const broken = f.run('audit', 'verify', '--head', head);
    expect(broken.status, broken.stdout + broken.stderr).toBe(1);
    expect(broken.stderr).toContain(`audit log BROKEN at row ${end - 1}: rows ${end - 1} to ${end} were removed from the end of the log (an anchored head names row ${end})`);
  });

  it('a log rewritten and re-signed with the key in the data dir is caught only against an anchored head', () => {
    const f = fleet(worked);
    const head = f.ok('audit', 'head').stdout.trim();
    const anchoredSeq = Number(head.split(':')[0]);
    // The attacker reads the key, replaces the command the exec ran, and writes and signs the history again.
    const key = Buffer.from(readFileSync(join(f.dataDir, 'audit.key'), 'utf8').trim(), 'hex');
    f.tamper((db) => {
      const rows = new AuditLog(db, key).list();
      db.exec('DELETE FROM audit_log; DELETE FROM audit_checkpoints;');
      let at = '';
      const forger = new AuditLog(db, key, { now: () => new Date(at), scheduleBatch: null });
      for (const row of rows) {
        at = row.at;
        forger.append({ kind: row.kind, actor: row.actor, host: row.host, subject: row.subject === 'uptime' ? 'true' : row.subject, data: row.data });
      }
      forger.checkpoint();
    });
    f.ok('audit', 'verify');
    const broken = f.run('audit', 'verify', '--head', head);
    expect(broken.status, broken.stdout + broken.stderr).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`row ${anchoredSeq} is not the row that was anchored .*the log was rewritten at or before row ${anchoredSeq} and re-signed`));
  });

  it('refuses a malformed head, and --journal fails closed without anchored heads to read', () => {
    const f = fleet(worked);
    expect(f.run('audit', 'verify', '--head', '12:abc').status).toBe(2);
    expect(f.run('audit', 'verify', '--since', '2025-01-01').status).toBe(2);
    // This log anchored nothing (audit.anchor is off by default), and a container may have no journal at all.
    const journal = f.run('audit', 'verify', '--journal');
    expect(journal.status, journal.stdout + journal.stderr).toBe(1);
    expect(journal.stderr).toMatch(/cannot check anchored heads: there is no system journal|no head of this audit log \(log=[0-9a-f]{16}, .*\) is anchored in/);
  });
});

/**
 * Checkpoints inside a long-running process (the server) and at its end, and the anchor
 * pipeline: checkpoint → `logger` → syslog → `audit verify --journal`'s reader. `logger` is
 * a fake that writes the syslog line a daemon would (this container has no syslog).
 */
describe('checkpoints of a running core, its end, and the syslog anchor', () => {
  const home = mkdtempSync(join(tmpdir(), 'fm-audit-core-'));
  // The system's side, outside the data dir (which Fleetmind keeps 0600).
  const system = mkdtempSync(join(tmpdir(), 'fm-audit-syslog-'));
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(system, { recursive: true, force: true });
  });
  const syslog = join(system, 'syslog');
  const fakeLogger = join(system, 'logger');
  writeFileSync(fakeLogger, `#!/bin/sh\nfor last; do :; done\nprintf 'Jan  1 00:00:00 host fleetmind-audit[%s]: %s\\n' "$$" "$last" >> ${syslog}\n`, { mode: 0o755 });
  writeFileSync(join(home, 'config.yaml'), 'audit:\n  anchor: syslog\n');
  const env = { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' };

  it('signs each batch of work as it ends and anchors every checkpoint in the system log', async () => {
    const core = new Core({ env, secrets: new MemorySecretStore(), syslogLogger: fakeLogger });
    try {
      await core.ready();
      await fanOut(core.fleet, core.gate, core.inventory.select('localhost'), { command: 'uname -r', requester: 'test:exec' });
      await new Promise((resolve) => setImmediate(resolve));
      const last = core.auditLog.head();
      expect(core.auditLog.checkpoints().at(-1)).toMatchObject({ seq: last.seq, hash: last.hash, reason: 'batch' });
      await core.auditAnchor?.drain();
      const { anchors } = await readAnchoredHeads(auditLogId(home), { journalctl: null, syslogFiles: [syslog] });
      expect(anchors.at(-1)).toMatchObject({ seq: last.seq, hash: last.hash });
      expect(core.auditLog.verify({ anchors })).toMatchObject({ ok: true, anchors: { checked: anchors.length } });
      core.audit.record({ kind: 'settings', actor: 'test', subject: 'closing' });
    } finally {
      await core.close();
    }
    const db = new Database(join(home, 'fleetmind.db'), { readonly: true });
    const end = (db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string });
    expect(db.prepare('SELECT seq, reason FROM audit_checkpoints ORDER BY id DESC LIMIT 1').get()).toEqual({ seq: end.seq, reason: 'close' });
    db.close();
    // close() waited for the logger: the closing head is in the system log.
    const { anchors } = await readAnchoredHeads(auditLogId(home), { journalctl: null, syslogFiles: [syslog] });
    expect(anchors.at(-1)).toMatchObject({ seq: end.seq, hash: end.hash });
  });

  it('signs and anchors as the process exits even when nobody closed the core', () => {
    ensureBuilt();
    // The core as the CLI runs it: the built chunk that holds Core (found by the class name, chunk names are hashed).
    const chunks = readdirSync(join(repoRoot, 'out', 'main', 'chunks')).filter((f) => /^compose-[^/]+\.js$/.test(f));
    expect(chunks).toHaveLength(1);
    const chunk = `./chunks/${chunks[0]}`;
    const child = `
      const mod = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'out', 'main', chunk as string)).href)});
      const Core = Object.values(mod).find((v) => typeof v === 'function' && v.name === 'Core');
      const core = new Core({ syslogLogger: ${JSON.stringify(fakeLogger)} });
      core.audit.record({ kind: 'settings', actor: 'test:exit', subject: 'exit-net' });
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const db = new Database(join(home, 'fleetmind.db'), { readonly: true });
    const end = db.prepare('SELECT seq, hash, subject FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string; subject: string };
    expect(end.subject).toBe('exit-net');
    expect(db.prepare('SELECT seq, reason FROM audit_checkpoints ORDER BY id DESC LIMIT 1').get()).toEqual({ seq: end.seq, reason: 'exit' });
    db.close();
    expect(readFileSync(syslog, 'utf8')).toContain(`head seq=${end.seq} hash=${end.hash} `);
  });
});
