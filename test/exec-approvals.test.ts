import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalListSchema, ApprovalViewSchema, ExecResultLineSchema, RememberedRuleListSchema, RuleRevokedSchema } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

// Exec of an `ask` command from the CLI and the API: a pending approval like the agent's, decided elsewhere.
let server: RunningServer;
const markers: string[] = [];
const marker = () => {
  const path = join(tmpdir(), `fm-${randomBytes(6).toString('hex')}`);
  markers.push(path);
  return path;
};

beforeAll(async () => {
  server = await startBuiltServer();
});
afterAll(async () => {
  await server?.stop();
  for (const m of markers) rmSync(m, { force: true });
});

const env = () => ({ ...process.env, FLEETMIND_HOME: server.dataDir });
const cli = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: env(), timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
/** A CLI process left running (exec --wait), with its output so far. */
function startCli(...args: string[]) {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}
const auth = () => ({ Authorization: `Bearer ${server.token}` });
const pending = async () => ApprovalListSchema.parse(JSON.parse((await cli('approvals', 'list', '--json')).stdout)).approvals;
/** Polls (bounded by attempts, not by the clock) until an approval for `command` is pending. */
async function pendingFor(command: string, waiter?: { err: () => string }) {
  for (let i = 0; i < 200; i++) {
    const found = (await pending()).find((a) => a.command === command);
    if (found && (!waiter || /waiting for a decision/.test(waiter.err()))) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no pending approval for ${command}`);
}

describe('exec of an ask command queues an approval (CLI and API)', () => {
  it('exec reports approval_required with the approval id and how to decide; approvals list shows it; nothing runs', async () => {
    const m = marker();
    const r = await cli('exec', '--hosts', 'localhost', '--json', '--', `touch ${m}`);
    expect(r.status, r.stderr).toBe(1);
    const line = ExecResultLineSchema.parse(JSON.parse(r.stdout.trim()));
    expect(line.error?.code).toBe('approval_required');
    const id = line.error?.approvalId as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(line.error?.message).toContain(`approvals approve ${id}`);
    expect(line.error?.message).not.toMatch(/cannot grant/);
    expect(r.stderr).toContain(`approval ${id} is pending for localhost:`);
    const listed = (await pending()).find((a) => a.id === id);
    expect(listed).toMatchObject({ command: `touch ${m}`, hosts: ['localhost'], requester: 'cli:exec', status: 'pending' });
    expect(existsSync(m)).toBe(false);
    // Audited like the agent's requests, with the policy version.
    const audit = await cli('audit', 'list', '--kind', 'approval', '--json');
    const requested = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { actor: string; data: { event: string; approvalId: string; policyVersion?: string } });
    expect(requested.find((e) => e.data.approvalId === id && e.data.event === 'requested')).toMatchObject({ actor: 'cli:exec', data: { policyVersion: listed!.policyVersion } });
  });

  it('exec --wait blocks until another process approves by prefix, then prints the result; approvals show prints it afterwards', async () => {
    const m = marker();
    const waiter = startCli('exec', '--hosts', 'localhost', '--json', '--wait', '--', `touch ${m}`);
    const approval = await pendingFor(`touch ${m}`, waiter);
    expect(existsSync(m)).toBe(false);
    const prefix = approval.id.slice(0, 8);
    const approve = await cli('approvals', 'approve', prefix);
    expect(approve.status, approve.stderr).toBe(0);
    // The full id and the exact command are printed before deciding.
    expect(approve.stderr).toContain(`approving ${approval.id}: touch ${m}`);
    expect(await waiter.exited, waiter.err()).toBe(0);
    expect(existsSync(m)).toBe(true);
    const lines = waiter.out().trim().split('\n').map((l) => ExecResultLineSchema.parse(JSON.parse(l)));
    expect(lines).toEqual([expect.objectContaining({ host: 'localhost', ok: true, exitCode: 0, error: null })]);

    const show = await cli('approvals', 'show', prefix, '--json');
    expect(show.status, show.stderr).toBe(0);
    const view = ApprovalViewSchema.parse((JSON.parse(show.stdout) as { approval: unknown }).approval);
    expect(view).toMatchObject({ id: approval.id, status: 'approved', results: [expect.objectContaining({ host: 'localhost', ok: true, exitCode: 0 })] });
    const human = await cli('approvals', 'show', approval.id);
    expect(human.stdout).toMatch(/status: +approved/);
    expect(human.stdout).toMatch(/localhost: ok/);
  });

  it('exec --wait reports a denial elsewhere; Ctrl-C exits 130 and leaves the approval pending', async () => {
    const m = marker();
    const denied = startCli('exec', '--hosts', 'localhost', '--wait', '--', `touch ${m}`);
    const a = await pendingFor(`touch ${m}`, denied);
    expect((await cli('approvals', 'deny', a.id, '--reason', 'not today')).status).toBe(0);
    expect(await denied.exited).toBe(1);
    expect(denied.err()).toMatch(/denied .*not today; nothing ran/);
    expect(existsSync(m)).toBe(false);

    const m2 = marker();
    const waiter = startCli('exec', '--hosts', 'localhost', '--wait', '--', `touch ${m2}`);
    const b = await pendingFor(`touch ${m2}`, waiter);
    waiter.child.kill('SIGINT');
    expect(await waiter.exited).toBe(130);
    expect(waiter.err()).toMatch(new RegExp(`interrupted: approval ${b.id} is still pending`));
    expect((await pending()).map((p) => p.id)).toContain(b.id);
    expect(existsSync(m2)).toBe(false);
  });

  it('POST /api/exec queues an approval for the hosts that asked (requester api:exec)', async () => {
    const m = marker();
    const res = await fetch(`${server.url}/api/exec`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ hosts: 'localhost', command: `touch ${m}` }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: unknown[] };
    const line = ExecResultLineSchema.parse(body.results[0]);
    expect(line.error).toMatchObject({ code: 'approval_required', approvalId: expect.any(String) });
    const view = await fetch(`${server.url}/api/approvals/${line.error!.approvalId}`, { headers: auth() });
    expect(view.status).toBe(200);
    expect(ApprovalViewSchema.parse(((await view.json()) as { approval: unknown }).approval)).toMatchObject({ requester: 'api:exec', hosts: ['localhost'], status: 'pending' });
    expect(existsSync(m)).toBe(false);
  });

  it('a deny verdict says why it cannot be approved and what to do instead', async () => {
    const r = await cli('exec', '--hosts', 'localhost', '--json', '--', 'rm -rf /');
    const line = ExecResultLineSchema.parse(JSON.parse(r.stdout.trim()));
    expect(line.error?.code).toBe('policy_denied');
    expect(line.error?.message).toMatch(/no approval on any face can run it/);
    expect(line.error?.message).toMatch(/Instead, name the specific files/);
  });
});

describe('remembered rules and id prefixes', () => {
  it('lists and revokes remembered rules from the CLI and over HTTP, audited', async () => {
    const ruleFor = async () => {
      const m = marker();
      const r = await cli('exec', '--hosts', 'localhost', '--json', '--', `touch ${m}`);
      const id = ExecResultLineSchema.parse(JSON.parse(r.stdout.trim())).error!.approvalId!;
      const approved = await cli('approvals', 'approve', id, '--remember', 'host');
      expect(approved.status, approved.stderr).toBe(0);
      const rules = RememberedRuleListSchema.parse(JSON.parse((await cli('approvals', 'rules', '--json')).stdout)).rules;
      const rule = rules.find((x) => x.command === `touch ${m}`);
      expect(rule).toMatchObject({ scope: 'host', target: 'localhost', approvalId: id, createdBy: 'cli' });
      return rule!;
    };
    const first = await ruleFor();
    expect((await cli('approvals', 'rules')).stdout).toContain(first.id);
    const revoked = await cli('approvals', 'revoke', first.id.slice(0, 8));
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain(`revoked rule ${first.id}`);
    expect(RememberedRuleListSchema.parse(JSON.parse((await cli('approvals', 'rules', '--json')).stdout)).rules.map((r) => r.id)).not.toContain(first.id);

    const second = await ruleFor();
    const listed = await fetch(`${server.url}/api/approvals/rules`, { headers: auth() });
    expect(RememberedRuleListSchema.parse(await listed.json()).rules.map((r) => r.id)).toContain(second.id);
    expect((await fetch(`${server.url}/api/approvals/rules`)).status).toBe(401);
    const del = await fetch(`${server.url}/api/approvals/rules/${second.id}`, { method: 'DELETE', headers: auth() });
    expect(del.status).toBe(200);
    expect(RuleRevokedSchema.parse(await del.json()).revoked.id).toBe(second.id);
    expect((await fetch(`${server.url}/api/approvals/rules/${second.id}`, { method: 'DELETE', headers: auth() })).status).toBe(404);

    const policy = (await cli('audit', 'list', '--kind', 'policy', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { actor: string; data: { event?: string; ruleId?: string } });
    expect(policy.filter((e) => e.data.event === 'revoked_rule').map((e) => [e.actor, e.data.ruleId])).toEqual(expect.arrayContaining([['cli', first.id], ['api', second.id]]));
  });

  it('an ambiguous prefix is a clear error; a short one is refused', async () => {
    // Two approvals whose ids share a prefix (written as the store would).
    const db = new Database(join(server.dataDir, 'fleetmind.db'));
    const row = db.prepare('SELECT * FROM approvals LIMIT 1').get() as Record<string, unknown>;
    const insert = (id: string) => db.prepare('INSERT INTO approvals (id, conversation_id, command, hosts_json, category, reasons_json, purpose, requester, policy_version, status, requested_at, expires_at) VALUES (?, NULL, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)')
      .run(id, `echo ${id}`, row.hosts_json, row.category, row.reasons_json, 'test', row.policy_version, 'pending', new Date().toISOString(), new Date(Date.now() + 600_000).toISOString());
    insert('abcdef01-0000-4000-8000-000000000001');
    insert('abcdef02-0000-4000-8000-000000000002');
    db.close();
    const ambiguous = await cli('approvals', 'approve', 'abcdef0');
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toMatch(/ambiguous approval id prefix abcdef0: it matches 2 .*abcdef01-.*abcdef02-.*type more characters/);
    expect((await cli('approvals', 'approve', 'abcde')).stderr).toMatch(/no approval with id abcde \(a prefix needs at least 6 characters\)/);
    const show = await cli('approvals', 'show', 'abcdef02');
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain('echo abcdef02-0000-4000-8000-000000000002');
    expect((await cli('approvals', 'revoke', 'abcdef')).status).toBe(2);
    const http = await fetch(`${server.url}/api/approvals/abcdef`, { headers: auth() });
    expect(http.status).toBe(400);
  });
});
