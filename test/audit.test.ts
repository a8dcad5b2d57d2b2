import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Core } from '../src/main/core/compose';
import { fanOut } from '../src/main/core/fleet';
import { MemorySecretStore } from '../src/main/core/secrets';
import { repoRoot } from './helpers/build';

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
