// Production tags (issue 12): a destructive command on a host tagged production asks with
// the host name typed to approve, through the BUILT server's HTTP API and the BUILT CLI
// (which reaches that server over its socket), against real sshd hosts. Approving without
// the name, or with a wrong one, is refused with a clear error and nothing runs (a marker
// file stays); the right name runs it. The same command on an untagged host asks with a
// click, and `rm -rf /` stays denied on production.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalDecisionResponseSchema, ApprovalListSchema, ErrorResponseSchema, ExecResultLineSchema, type ApprovalView } from '../src/shared/protocol';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';

describe('production hosts need their name typed to approve (built server and CLI, real sshd)', () => {
  let fx: SshdFleet;
  let server: RunningServer;
  const root = mkdtempSync(join(tmpdir(), 'fm-prod-'));
  const home = join(root, 'home');
  // Markers live outside the hosts' private home directories, where every host sees the same files.
  const markers = join(root, 'markers');

  beforeAll(async () => {
    fx = await startSshdHosts({ count: 2 });
    mkdirSync(join(home, '.ssh'), { recursive: true });
    copyFileSync(fx.knownHostsPath, join(home, '.ssh', 'known_hosts'));
    mkdirSync(markers, { recursive: true, mode: 0o777 });
    server = await startBuiltServer({ env: { HOME: home, SSH_AUTH_SOCK: '' } });
    const inventory = [
      { name: 'web-1', tags: ['web', 'production'] },
      { name: 'dev-1', tags: ['web'] },
    ];
    for (const [i, h] of inventory.entries()) {
      const target = fx.hosts[i]!;
      const res = await api('/api/hosts', { body: { name: h.name, address: target.address, port: target.port, user: target.user, identityFile: fx.clientKeyPath, tags: h.tags } });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.stop();
    await fx?.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  function api(path: string, init: { method?: string; body?: unknown } = {}) {
    return fetch(`${server.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { Authorization: `Bearer ${server.token}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  }
  const cli = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: { ...process.env, FLEETMIND_HOME: server.dataDir, HOME: home, SSH_AUTH_SOCK: '' }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      );
    });
  const marker = (name: string) => {
    const path = join(markers, name);
    writeFileSync(path, 'still here\n', { mode: 0o666 });
    return path;
  };
  /** `POST /api/exec` of a command that asks: the approval id it queued. */
  async function queue(hosts: string, command: string): Promise<string> {
    const res = await api('/api/exec', { body: { hosts, command } });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: unknown[] };
    const lines = results.map((r) => ExecResultLineSchema.parse(r));
    expect(lines.map((l) => l.error?.code), JSON.stringify(lines)).toEqual(lines.map(() => 'approval_required'));
    return lines[0]!.error!.approvalId as string;
  }
  async function view(id: string): Promise<ApprovalView> {
    const list = ApprovalListSchema.parse(await (await api('/api/approvals')).json());
    const found = list.approvals.find((a) => a.id === id);
    expect(found, `approval ${id} is pending`).toBeDefined();
    return found!;
  }
  async function approve(id: string, body: Record<string, unknown>) {
    const res = await api(`/api/approvals/${id}`, { body: { decision: 'approve', ...body } });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  it('HTTP: a destructive command on web-1 (production) asks with the name typed; none or a wrong one is a 422 and nothing runs; the name runs it', async () => {
    const victim = marker('http-victim');
    const command = `rm -f ${victim}`;
    const id = await queue('web-1', command);
    const pending = await view(id);
    expect(pending).toMatchObject({ command, hosts: ['web-1'], category: 'destructive', rememberable: false });
    expect(pending.reasons[0]).toBe('web-1 is tagged production: type its name to approve');
    expect(pending.confirmation).toEqual({ kind: 'typed-host', hosts: ['web-1'], reasons: ['web-1 is tagged production: type its name to approve'] });
    expect(pending.notRememberable).toMatch(/none is remembered/);

    for (const body of [{}, { confirmHosts: [] }, { confirmHosts: ['dev-1'] }, { confirmHosts: ['WEB-1'] }, { confirmHosts: ['web-1x'] }]) {
      const refused = await approve(id, body);
      expect({ body, status: refused.status }).toEqual({ body, status: 422 });
      const error = ErrorResponseSchema.parse(refused.body).error;
      expect(error.code).toBe('confirmation_required');
      expect(error.message).toMatch(/nothing ran/);
      expect(existsSync(victim)).toBe(true);
    }
    expect((await approve(id, {})).body).toMatchObject({ error: { message: expect.stringMatching(/^web-1 is tagged production: type its name to approve; nothing ran/) } });
    // A malformed confirmation is a 400 from the schema, and still nothing runs.
    expect((await approve(id, { confirmHosts: 'web-1' })).status).toBe(400);
    // "Approve and remember" is refused on production, whatever was typed.
    const remember = await approve(id, { remember: 'host', confirmHosts: ['web-1'] });
    expect(remember.status).toBe(400);
    expect(ErrorResponseSchema.parse(remember.body).error.message).toMatch(/cannot remember this approval: web-1 is tagged production/);
    expect(existsSync(victim)).toBe(true);
    expect((await view(id)).status).toBe('pending');

    const ran = await approve(id, { confirmHosts: ['web-1'] });
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    const outcome = ApprovalDecisionResponseSchema.parse(ran.body);
    expect(outcome.results).toMatchObject([{ host: 'web-1', ok: true, exitCode: 0 }]);
    expect(outcome.remembered).toEqual([]);
    expect(existsSync(victim)).toBe(false);
  });

  it('CLI: approvals approve without --confirm-host, or with a wrong name, exits non-zero and runs nothing; with the name it runs', async () => {
    const victim = marker('cli-victim');
    const command = `rm -f ${victim}`;
    const queued = await cli('exec', '--hosts', 'web-1', '--json', '--', command);
    expect(queued.code, queued.stderr).toBe(1);
    const line = ExecResultLineSchema.parse(JSON.parse(queued.stdout.trim()));
    expect(line.error?.code).toBe('approval_required');
    expect(line.error?.message).toMatch(/web-1 is tagged production: type its name to approve/);
    const id = line.error?.approvalId as string;

    const shown = await cli('approvals', 'list');
    expect(shown.stdout).toMatch(/PRODUCTION: web-1 is tagged production: type its name to approve/);

    // Not a terminal: nothing can be typed, so the approval service refuses and says how.
    const missing = await cli('approvals', 'approve', id);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/PRODUCTION: web-1 is tagged production/);
    expect(missing.stderr).toMatch(/confirmation_required: web-1 is tagged production: type its name to approve; nothing ran/);
    expect(missing.stderr).toMatch(/--confirm-host NAME/);
    expect(existsSync(victim)).toBe(true);
    const wrong = await cli('approvals', 'approve', id.slice(0, 8), '--confirm-host', 'dev-1');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/"dev-1" is not a host this request runs on \(web-1\)/);
    expect(existsSync(victim)).toBe(true);

    const ran = await cli('approvals', 'approve', id, '--confirm-host', 'web-1', '--json');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ExecResultLineSchema.parse(JSON.parse(ran.stdout.trim()))).toMatchObject({ host: 'web-1', ok: true });
    expect(existsSync(victim)).toBe(false);
  });

  it('CLI without a server (its own core on the data dir): the same refusal and the same run', async () => {
    const dataDir = join(root, 'serverless');
    const env = { ...process.env, FLEETMIND_HOME: dataDir, HOME: home, SSH_AUTH_SOCK: '' };
    const local = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
        );
      });
    const target = fx.hosts[0]!;
    const added = await local('hosts', 'add', 'db-1', '--address', target.address, '--port', String(target.port), '--user', target.user, '--identity', fx.clientKeyPath, '--tag', 'prod');
    expect(added.code, added.stderr).toBe(0);
    const victim = marker('local-victim');
    const queued = await local('exec', '--hosts', 'db-1', '--json', '--', `rm -f ${victim}`);
    const id = ExecResultLineSchema.parse(JSON.parse(queued.stdout.trim())).error?.approvalId as string;
    expect(id, queued.stdout + queued.stderr).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await local('approvals', 'approve', id, '--verbose');
    expect(missing.stderr).toMatch(/approvals approve locally/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/confirmation_required: db-1 is tagged prod: type its name to approve; nothing ran/);
    expect((await local('approvals', 'approve', id, '--confirm-host', 'db-2')).code).not.toBe(0);
    expect(existsSync(victim)).toBe(true);
    const ran = await local('approvals', 'approve', id, '--confirm-host', 'db-1');
    expect(ran.code, ran.stderr).toBe(0);
    expect(existsSync(victim)).toBe(false);
  });

  it('at a terminal, exec and approvals approve ask for the name: a wrong one runs nothing and leaves it pending, the name runs it', async () => {
    const victim = marker('tty-victim');
    const command = `rm -f ${victim}`;
    // A real terminal (util-linux `script` gives the CLI a pty): the prompts only appear there.
    const terminal = (...args: string[]) => {
      const line = [process.execPath, join(repoRoot, 'bin', 'fleetmind'), ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
      const child = spawn('script', ['-qefc', line, '/dev/null'], { env: { ...process.env, FLEETMIND_HOME: server.dataDir, HOME: home, SSH_AUTH_SOCK: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return {
        out: () => out,
        exited,
        type: (text: string) => child.stdin.write(text),
        /** Polls the output (bounded by attempts) until it matches. */
        until: async (re: RegExp) => {
          for (let i = 0; i < 600 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
          if (!re.test(out)) throw new Error(`no ${re} in:\n${out}`);
        },
      };
    };

    const exec = terminal('exec', '--hosts', 'web-1', '--', command);
    await exec.until(/Type the host name to approve and run it now/);
    expect(exec.out()).toMatch(/PRODUCTION: web-1 is tagged production: type its name to approve/);
    exec.type('dev-1\r');
    expect(await exec.exited).toBe(1);
    expect(exec.out()).toMatch(/could not approve [0-9a-f-]{36}: "dev-1" is not a host this request runs on \(web-1\)/);
    expect(existsSync(victim)).toBe(true);
    const id = /could not approve ([0-9a-f-]{36})/.exec(exec.out())![1]!;
    expect((await view(id)).status).toBe('pending');

    const approve = terminal('approvals', 'approve', id);
    await approve.until(/Type the host name to approve: /);
    approve.type('web-1\r');
    expect(await approve.exited).toBe(0);
    expect(approve.out()).toMatch(/approved [0-9a-f-]{36}: rm -f/);
    expect(existsSync(victim)).toBe(false);
  });

  it('a fan-out over both hosts needs web-1 typed (the production one), not dev-1', async () => {
    const victims = [marker('fan-a'), marker('fan-b')];
    const command = `rm -f ${victims.join(' ')}`;
    const id = await queue('web-1,dev-1', command);
    expect((await view(id)).confirmation?.hosts).toEqual(['web-1']);
    const refused = await approve(id, { confirmHosts: ['dev-1'] });
    expect(refused.status).toBe(422);
    expect(victims.every((v) => existsSync(v))).toBe(true);
    const ran = await approve(id, { confirmHosts: ['web-1'] });
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect(ApprovalDecisionResponseSchema.parse(ran.body).results.map((r) => [r.host, r.ok]).sort()).toEqual([
      ['dev-1', true],
      ['web-1', true],
    ]);
    expect(victims.some((v) => existsSync(v))).toBe(false);
  });

  it('the same command on an untagged host asks with a click', async () => {
    const victim = marker('dev-victim');
    const id = await queue('dev-1', `rm -f ${victim}`);
    const pending = await view(id);
    expect(pending.confirmation ?? null).toBeNull();
    expect(pending.reasons.join(' ')).not.toMatch(/type its name/);
    const ran = await approve(id, {});
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect(existsSync(victim)).toBe(false);
  });

  it('rm -rf / stays denied on production: refused, never queued', async () => {
    const res = await api('/api/exec', { body: { hosts: 'web-1', command: 'rm -rf /' } });
    const [line] = ((await res.json()) as { results: unknown[] }).results.map((r) => ExecResultLineSchema.parse(r));
    expect(line).toMatchObject({ host: 'web-1', ok: false, error: { code: 'policy_denied' } });
    expect(line!.error!.approvalId).toBeUndefined();
    // `policy check` reads the inventory's tags: the same verdicts, and the reason to type the name.
    expect((await cli('policy', 'check', '--host', 'web-1', 'rm -rf /')).stdout).toMatch(/^DENY/);
    const restart = await cli('policy', 'check', '--host', 'web-1', 'systemctl restart nginx');
    expect(restart.stdout).toMatch(/^ASK {2}\(mutating\)\n {2}- web-1 is tagged production: type its name to approve/);
    expect((await cli('policy', 'check', '--host', 'dev-1', 'systemctl restart nginx')).stdout).not.toMatch(/type its name/);
  });
});
