import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalDecisionResponseSchema, ApprovalListSchema, ChatResponseSchema, ErrorResponseSchema, ExecResultLineSchema } from '../src/shared/protocol';
import { repoRoot } from './helpers/build';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { startLlmServer, type LlmServer } from './fixtures/llm-server/index';

/**
 * "Approve and remember" through the real faces: the HTTP API and the CLI refuse to
 * remember commands whose effect depends on run time (variables, substitutions, globs,
 * wrappers, shells, interpreters, instruction files); a literal command is remembered
 * with the policy version and verdict it was approved under, and stops applying (the
 * operator is asked again) when a changed policy judges it differently.
 */

let llm: LlmServer;
let server: RunningServer;
const scratch = mkdtempSync(join(tmpdir(), 'fm-remember-'));
const dataDir = mkdtempSync(join(tmpdir(), 'fm-remember-data-'));

const startServer = () => startBuiltServer({ dataDir, env: { OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' } });

beforeAll(async () => {
  llm = await startLlmServer({
    scenario: [
      { match: { lastUser: 'The operator (APPROVED|DENIED)' }, respond: { text: 'Noted.' } },
      { match: { toolResult: 'run_command' }, respond: { text: 'Result: {{toolResult:run_command|firstLine|maxChars=300}}' } },
      { match: { lastUser: '^please apply this change: (.+)$', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: '{{lastUser.1}}', purpose: 'the operator asked for it' } }] } },
    ],
  });
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await llm?.stop();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const json = { 'Content-Type': 'application/json' };
const auth = () => ({ Authorization: `Bearer ${server.token}` });

async function ask(message: string) {
  const res = await fetch(`${server.url}/api/chat`, { method: 'POST', headers: json, body: JSON.stringify({ message }) });
  return ChatResponseSchema.parse(await res.json());
}

/** Has the scripted agent request exactly `command`; returns the pending approval's id. */
async function queue(command: string): Promise<string> {
  const response = await ask(`please apply this change: ${command}`);
  expect(response.pendingApprovals.map((a) => a.command), JSON.stringify(response)).toEqual([command]);
  return response.pendingApprovals[0]!.id;
}

async function pendingView(id: string) {
  const list = ApprovalListSchema.parse(await (await fetch(`${server.url}/api/approvals`, { headers: auth() })).json());
  return list.approvals.find((a) => a.id === id);
}

function decide(id: string, body: object) {
  return fetch(`${server.url}/api/approvals/${id}`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify(body) });
}

function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'bin', 'fleetmind'), ...args],
      { env: { ...process.env, FLEETMIND_HOME: dataDir, OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

async function execJson(command: string) {
  const r = await cli('exec', '--hosts', 'localhost', '--json', '--', command);
  return ExecResultLineSchema.parse(JSON.parse(r.stdout.trim().split('\n')[0] ?? '{}'));
}

describe('approve and remember (built server, real CLI)', () => {
  const notRememberable: [string, RegExp][] = [
    ['touch /srv/$(cat name)', /only known at run time/],
    ['systemctl restart $SVC', /"\$SVC" is only known at run time/],
    ['xargs -a FILE rm', /xargs -a reads its arguments from "FILE"/],
    ['/usr/bin/env FOO=1 systemctl restart nginx', /env runs another command/],
    ['env systemctl restart nginx', /env runs another command/],
    ["bash -c 'systemctl restart nginx'", /bash is a shell/],
    ["python3 -c 'print(1)'", /python3 is an interpreter/],
    ['sudo systemctl restart nginx', /sudo is a wrapper/],
    // A glob the fleet can expand on the host is approved as the list of names it matched (fixed
    // text, so remembering it is sound); one it cannot (here after ~) stays a glob.
    ['chmod 644 ~/site*.conf', /"~\/site\*\.conf" is a glob/],
    ["awk '{system($0)}' f", /awk: its program text can run commands/],
  ];

  it('refuses to remember commands whose effect depends on run time, over HTTP and from the CLI; the request stays pending', async () => {
    const queued: { command: string; why: RegExp; id: string }[] = [];
    for (const [command, why] of notRememberable) queued.push({ command, why, id: await queue(command) });

    for (const { command, why, id } of queued) {
      const view = await pendingView(id);
      expect(view, command).toMatchObject({ status: 'pending', rememberable: false });
      expect(view?.notRememberable, command).toMatch(why);

      const res = await decide(id, { decision: 'approve', remember: 'host' });
      expect(res.status, command).toBe(400);
      const error = ErrorResponseSchema.parse(await res.json()).error;
      expect(error.code).toBe('bad_request');
      expect(error.message, command).toMatch(/^cannot remember this approval: /);
      expect(error.message, command).toMatch(why);
      expect((await pendingView(id))?.status, command).toBe('pending');
    }

    // The CLI refuses the same way (usage exit code 2) and says why; listing shows it too.
    const results = await Promise.all(queued.map(({ id }) => cli('approvals', 'approve', id, '--remember', 'host')));
    results.forEach((r, i) => {
      const { command, why } = queued[i]!;
      expect(r.status, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr, command).toMatch(/cannot remember this approval: /);
      expect(r.stderr, command).toMatch(why);
    });
    const listed = await cli('approvals', 'list');
    expect(listed.stdout).toMatch(/remember: not offered: "\$SVC" is only known at run time/);

    for (const { id, command } of queued) {
      expect((await pendingView(id))?.status, command).toBe('pending');
      expect((await decide(id, { decision: 'deny', reason: 'test' })).status).toBe(200);
    }
    const db = new Database(join(dataDir, 'fleetmind.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM remembered_rules').get()).toEqual({ n: 0 });
    db.close();
  }, 180_000);

  it('remembers a literal command with its policy version and verdict; a changed policy that judges it differently asks again', async () => {
    const marker = join(scratch, 'remembered-marker');
    const command = `touch ${marker}`;
    const id = await queue(command);
    const view = await pendingView(id);
    expect(view).toMatchObject({ rememberable: true });
    expect(view?.notRememberable ?? null).toBeNull();
    const res = await decide(id, { decision: 'approve', remember: 'host' });
    expect(res.status).toBe(200);
    const decided = ApprovalDecisionResponseSchema.parse(await res.json());
    expect(decided.remembered).toEqual([expect.objectContaining({ scope: 'host', target: 'localhost' })]);
    expect(existsSync(marker)).toBe(true);

    const db = new Database(join(dataDir, 'fleetmind.db'), { readonly: true });
    const row = db.prepare('SELECT policy_version, verdict_decision, verdict_category, verdict_rule_ids_json FROM remembered_rules WHERE command = ?').get(command);
    db.close();
    expect(row).toEqual({ policy_version: view!.policyVersion, verdict_decision: 'ask', verdict_category: 'mutating', verdict_rule_ids_json: expect.stringMatching(/^\[.*\]$/) });

    // Next time it runs without asking: through the agent and from the CLI.
    rmSync(marker);
    expect((await ask(`please apply this change: ${command}`)).pendingApprovals).toEqual([]);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    expect(await execJson(command)).toMatchObject({ ok: true, exitCode: 0, error: null });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    // A user policy that changes the version but not the verdict on this command: still remembered.
    const policyFile = join(dataDir, 'policy.yaml');
    writeFileSync(
      policyFile,
      ['rules:', '  - id: user-frobnicate', '    program: frobnicate', '    decision: ask', '    category: mutating', '    reason: frobnicates things', '    match: [frobnicate]', ''].join('\n'),
    );
    expect(await execJson(command)).toMatchObject({ ok: true, error: null });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    // A user policy that judges touch differently: the remembered approval no longer applies.
    writeFileSync(
      policyFile,
      ['rules:', '  - id: user-touch-destructive', '    program: touch', '    decision: ask', '    category: destructive', '    reason: creating files here needs a second look', '    match: [touch /srv/x]', ''].join('\n'),
    );
    const refused = await execJson(command);
    expect(refused).toMatchObject({ ok: false, error: { code: 'approval_required' } });
    expect(refused.error?.message).toMatch(/no longer applies: the safety policy changed since it was remembered \(policy-\w+ → policy-\w+\) and judges the command differently \(ask mutating .* → ask destructive \[user-touch-destructive\]\)/);
    expect(existsSync(marker)).toBe(false);

    // The agent's request becomes a pending approval again, with the reason (the server reads the policy at start).
    await server.stop();
    server = await startServer();
    const again = await ask(`please apply this change: ${command}`);
    expect(again.pendingApprovals).toHaveLength(1);
    expect(again.pendingApprovals[0]).toMatchObject({ command, category: 'destructive' });
    expect(again.pendingApprovals[0]!.reasons.join('\n')).toMatch(/remembered approval \(host localhost, rule [\w-]+\) no longer applies/);
    expect(existsSync(marker)).toBe(false);

    // Remembering it again records the current policy: it is allowed once more.
    const renewed = await decide(again.pendingApprovals[0]!.id, { decision: 'approve', remember: 'host' });
    expect(renewed.status).toBe(200);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    expect(await execJson(command)).toMatchObject({ ok: true, error: null });
    expect(existsSync(marker)).toBe(true);
  }, 180_000);
});
