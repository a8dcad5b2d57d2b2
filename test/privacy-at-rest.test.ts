// Privacy at rest (issue "Privacy 1/2", items 4 and 5), end to end with the BUILT server:
// secrets of several kinds in a file on this machine and in another on a real sshd host,
// a chat about them through the scripted model server (a non-local provider), a model
// run_command that needs approval and prints the remote secrets, operator commands that
// carry a secret, a request URL with a token in it. Then the attacker's view: no secret in
// any request the model server recorded, in any byte of the data dir (the SQLite .db, -wal
// and -shm files read raw, while the server runs and after it stopped, after rows were
// updated and deleted), or in the server's log. Then, in process: a pending command with a
// secret runs only from the process that queued it (its exact text is never on disk), and a
// local model gets the current turn as typed but the history as stored.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { startLlmServer, type LlmServer, type ScenarioInput } from './fixtures/llm-server/index';
import { startBuiltServer, type RunningServer } from './helpers/built-server';
import { ApprovalError } from '../src/main/core/agent';
import { Core } from '../src/main/core/compose';
import { MemorySecretStore } from '../src/main/core/secrets';

// Made-up secrets in real shapes; each must be caught by the redactor (src/main/core/privacy).
const pem = (kind: string, body: string[]) => [`-----BEGIN ${kind} PRIVATE KEY-----`, ...body, `-----END ${kind} PRIVATE KEY-----`].join('\n');
const LOCAL = {
  awsKeyId: 'AKIAQ3LOCALZ7K4M2P9X',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYzLOCALKQ7d',
  github: 'ghp_R8x2Lq9ZtW4vN7mK3pB6yH1cJ5fD0sA2gE4u',
  dbPassword: 'Pg-Vault-93kd!x',
  slack: 'xoxb-2931847561-4829375610-Zq7RkP2mVx9LtN4wB8cY3sHd',
  pemBody: ['MIIEowIBAAKCAQEAr3Tz2mr7SuFDQa7xW9kq4r7b1mB0eB6pQ3o8d1f2g3h4j5k6', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6Xw5Vu4Ts3Rq2Po1Nm0Lk9J'],
};
const REMOTE = {
  awsKeyId: 'AKIAW7REMOTEQ2N5B8KD',
  awsSecret: 'q2Vb7Nk4Lp9Xz3Rt6Wm1Yc8Hd5Jf0Gs2Ae4Ui7Oq',
  github: 'ghp_T4mQ8vX2nB7kL1pR9wZ3yC6hF5jD0sG8aE2u',
  dbPassword: 'Remote.Pw-77zq_Lk',
  slack: 'xoxb-8102937465-1928374650-Hj4KpL9mQ2wX7vB3nR8tY6cZ',
  pemBody: ['MHcCAQEEIBd3Zx9Qw2Er4Ty6Ui8Op0As1Df3Gh5Jk7Lz9Xc2Vb4NmoAoGCCqGSM49', 'AwEHoUQDQgAEk3Lm9Np2Qr5St8Uv1Wx4Yz7Ab0Cd3Ef6Gh9Ij2Kl5Mn8Op1Qr4St'],
};
/** Typed by the operator into the chat, into commands and into a URL. */
const TYPED = {
  chatToken: 'ghp_U5serTyp3dT0kenXq7Wz2Lm9Np4Rs6Tv8Yb1C',
  chatPassword: 'Typed-1n-Chat!9',
  execToken: 'ghp_E9xecCmdT0kenPq2Wr5Ty8Ui1Op4As7Df3Gh6',
  denyPassword: 'Deny-Reason-Pw!42',
  urlToken: 'ghp_L0gUrlT0kenZx3Cv6Bn9Mq2Wr5Ty8Ui1Op4A',
};

function secretFile(s: typeof LOCAL): string {
  return [
    '# application settings',
    `AWS_ACCESS_KEY_ID=${s.awsKeyId}`,
    `AWS_SECRET_ACCESS_KEY=${s.awsSecret}`,
    `GITHUB_TOKEN=${s.github}`,
    `DATABASE_URL=postgres://app:${s.dbPassword}@db.internal:5432/app`,
    `SLACK_BOT_TOKEN=${s.slack}`,
    pem(s === LOCAL ? 'RSA' : 'EC', s.pemBody),
    'LOG_LEVEL=info',
    '',
  ].join('\n');
}

const ALL_SECRETS = [...new Set([LOCAL, REMOTE].flatMap((s) => [s.awsKeyId, s.awsSecret, s.github, s.dbPassword, s.slack, ...s.pemBody]).concat(Object.values(TYPED)))];

/** Which of the secrets occur in these bytes (raw, as an attacker reading the file would search). */
function leaked(bytes: Buffer | string): string[] {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return ALL_SECRETS.filter((s) => buf.includes(s));
}

/** Every file below dir (the data dir: the SQLite files, caches, keys, records), read raw. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false; // removed meanwhile (a -wal at close)
      }
    });
}

function leaksInDataDir(dir: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const file of filesBelow(dir)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    const hits = leaked(bytes);
    if (hits.length) found[file.slice(dir.length + 1)] = hits;
  }
  return found;
}

describe('privacy at rest: what the server writes to disk and its log', () => {
  let fx: SshdFleet;
  let llm: LlmServer;
  let server: RunningServer;
  const work = mkdtempSync(join(tmpdir(), 'fm-at-rest-'));
  const home = join(work, 'home');
  const dataDir = join(work, 'data');
  const files = join(work, 'files');
  const localFile = join(files, 'local-app.env');
  let remoteFile = '';
  const copyFile = join(files, 'remote-copy.env');
  const execOut = join(files, 'exec-out.txt');

  const scenario = (): ScenarioInput => [
    // After the operator approved the copy: Fleetmind's note with its output comes back.
    { name: 'after-approval', match: { lastUser: 'APPROVED' }, respond: { text: 'The copy ran; the keys in it are the ones I listed, rotate them.' } },
    { name: 'answer', match: { toolResult: 'read_file' }, respond: { text: 'Both files hold an AWS key pair, a GitHub token, a database password, a Slack token and a private key. Copying the remote one needs your approval.' } },
    { name: 'second-turn', match: { lastUser: 'anything else' }, respond: { text: 'Nothing else; rotate the keys.' } },
    {
      name: 'look',
      match: { lastUser: 'leaked credentials', hasToolResult: false },
      respond: {
        tool_calls: [
          { name: 'read_file', arguments: { path: localFile } },
          { name: 'read_file', arguments: { path: remoteFile, host: 'node-1' } },
          { name: 'run_command', arguments: { command: `cat ${remoteFile} | tee ${copyFile}`, host: 'node-1', purpose: 'keep a copy' } },
        ],
      },
    },
  ];

  beforeAll(async () => {
    mkdirSync(join(home, '.ssh'), { recursive: true });
    mkdirSync(dataDir, { mode: 0o700 });
    mkdirSync(files);
    writeFileSync(localFile, secretFile(LOCAL));
    fx = await startSshdHosts({ count: 1 });
    // The remote file exists on the sshd host only: in its private home (mounted over the login
    // user's home there), or, where the machine cannot give it one, in the file system the host
    // shares with this machine; either way it holds other secrets than the local one.
    const hostHome = fx.hosts[0]!.homeDir;
    remoteFile = hostHome ? join(userInfo().homedir, 'remote-app.env') : join(files, 'remote-app.env');
    writeFileSync(hostHome ? join(hostHome, 'remote-app.env') : remoteFile, secretFile(REMOTE));
    llm = await startLlmServer({ scenario: scenario() });
    writeFileSync(join(dataDir, 'config.yaml'), `llm:\n  providers:\n    - name: remote\n      baseURL: ${llm.baseURL}\n      local: false\n  models:\n    chat: remote/gpt-4o-mini\n    summarize: remote/gpt-4o-mini\n`);
    server = await startBuiltServer({ dataDir, env: { HOME: home, SSH_AUTH_SOCK: '', FLEETMIND_LOG_LEVEL: 'debug', OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
  });
  afterAll(async () => {
    await server?.stop();
    await llm?.stop();
    await fx?.stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  const api = async (path: string, body?: unknown, method?: string) => {
    const res = await fetch(`${server.url}${path}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { Authorization: `Bearer ${server.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, json: (await res.json()) as any };
  };

  it('keeps every secret out of the model requests, the database files and the server log', async () => {
    const h = fx.hosts[0]!;
    expect((await api('/api/hosts', { name: 'node-1', address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath })).status).toBe(201);
    expect((await api('/api/hosts/node-1/trust', { fingerprint: h.hostKeyFingerprint })).status).toBe(200);

    // 1. The chat: the operator's own message carries a token and a password; the model reads
    // both files (one over SSH) and asks to copy the remote one, which needs approval.
    const chat = await api('/api/chat', {
      message: `Look for leaked credentials in ${localFile} here and ${remoteFile} on node-1, and copy the remote one before we rotate them. My own token ${TYPED.chatToken} may be in there; never reuse the admin password=${TYPED.chatPassword}.`,
    });
    expect(chat.status).toBe(200);
    expect(llm.unmatched).toEqual([]);
    const conversationId = chat.json.conversationId as string;
    const reads = (chat.json.toolCalls as { tool: string; ok: boolean; host: string }[]).filter((c) => c.tool === 'read_file');
    // Parallel calls are recorded as they finish: compared as a set.
    expect(reads.map((c) => `${c.host}:${c.ok}`).sort()).toEqual(['localhost:true', 'node-1:true']);
    expect(chat.json.pendingApprovals).toHaveLength(1);
    const copyApproval = chat.json.pendingApprovals[0].id as string;

    // The operator approves the copy: it runs on node-1 and its output (the remote secrets) is
    // shown live to the operator, kept with the approval, and fed back into the conversation.
    const approved = await api(`/api/approvals/${copyApproval}`, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.json.results[0]).toMatchObject({ host: 'node-1', ok: true });
    expect(approved.json.results[0].stdout).toContain(REMOTE.github); // the live result is the operator's own screen
    expect(readFileSync(copyFile, 'utf8')).toBe(secretFile(REMOTE));
    await llm.waitFor(() => llm.chatRequests.some((r) => r.turn === 'after-approval' && r.status === 200), 20_000, 'the agent to continue after the approval');
    await waitForMessages(conversationId, 4); // question, answer, the approval note, the answer to it
    // A second turn: history is read back from the store and sent again.
    expect((await api('/api/chat', { conversationId, message: 'anything else?' })).status).toBe(200);

    // 2. Operator commands that carry a secret: one approved (it must run with the exact text),
    // one denied with a reason that names a password.
    const execCommand = `printf 'token=%s\\n' ${TYPED.execToken} > ${execOut}`;
    const exec = await api('/api/exec', { hosts: 'node-1', command: execCommand });
    expect(exec.json.results[0].error.code).toBe('approval_required');
    const execApproval = exec.json.results[0].error.approvalId as string;
    const listed = await api('/api/approvals');
    const pendingView = (listed.json.approvals as { id: string; command: string }[]).find((a) => a.id === execApproval)!;
    expect(pendingView.command).not.toContain(TYPED.execToken);
    expect(pendingView.command).toContain('[REDACTED:github-token#');
    const ran = await api(`/api/approvals/${execApproval}`, { decision: 'approve' });
    expect(ran.status).toBe(200);
    expect(ran.json.results[0]).toMatchObject({ host: 'node-1', ok: true });
    expect(readFileSync(execOut, 'utf8')).toBe(`token=${TYPED.execToken}\n`);

    const denyMe = await api('/api/exec', { hosts: 'localhost', command: `echo 'password=${TYPED.chatPassword}' > ${join(files, 'never.txt')}` });
    const denyId = denyMe.json.results[0].error.approvalId as string;
    expect((await api(`/api/approvals/${denyId}`, { decision: 'deny', reason: `do not write password=${TYPED.denyPassword} to disk` })).status).toBe(200);
    expect(existsSync(join(files, 'never.txt'))).toBe(false);

    // 3. A token in a request URL: the request is logged, the token must not be.
    const url = await fetch(`${server.url}/api/conversations/${TYPED.urlToken}`, { headers: { Authorization: `Bearer ${server.token}` } });
    expect(url.status).toBe(404);

    // The audit chain still verifies; the command rows hold the redacted text and the digest of the exact one.
    const audit = await api('/api/audit?limit=500');
    expect(audit.json.verify.ok).toBe(true);
    const execRows = (audit.json.entries as { kind: string; subject: string | null; data: Record<string, unknown> }[]).filter((e) => e.subject?.includes('[REDACTED:github-token#') && e.subject.startsWith('printf'));
    expect(execRows.length).toBeGreaterThan(0);
    const exactDigest = createHash('sha256').update(execCommand).digest('hex');
    for (const row of execRows) expect(row.data.subjectSha256).toBe(exactDigest);

    // Rows were updated above (approvals decided, their results recorded); one is deleted too,
    // so the files are searched after SQLite freed and rewrote pages, not only after appends.
    expect((await api('/api/hosts/node-1', undefined, 'DELETE')).status).toBe(200);

    // The attacker's view. The model server first: placeholders, never the secrets.
    const sent = llm.chatRequests.map((r) => r.rawBody).join('\n');
    expect(sent).toContain('[REDACTED:github-token#');
    expect(sent).toContain('[REDACTED:private-key#');
    expect(leaked(sent)).toEqual([]);

    // The data dir while the server runs: the live -wal and -shm beside the .db.
    const names = filesBelow(dataDir).map((f) => f.slice(dataDir.length + 1));
    expect(names).toEqual(expect.arrayContaining(['fleetmind.db', 'fleetmind.db-wal', 'fleetmind.db-shm']));
    const storedText = Buffer.concat(['fleetmind.db', 'fleetmind.db-wal'].map((f) => readFileSync(join(dataDir, f)))).toString('latin1');
    // What was stored is there, redacted (so the search below looks where the secrets would be).
    for (const placeholder of ['[REDACTED:github-token#', '[REDACTED:aws-secret-key#', '[REDACTED:private-key#', '[REDACTED:url-password#', '[REDACTED:slack-token#', '[REDACTED:password#']) {
      expect(storedText).toContain(placeholder);
    }
    expect(leaksInDataDir(dataDir)).toEqual({});

    // The server log, which recorded the request with the token in its URL.
    await server.stop();
    const log = server.stderr();
    expect(log).toContain('/api/conversations/[REDACTED:github-token#');
    expect(leaked(log)).toEqual([]);
    // And the data dir once the server has closed the store (the WAL checkpointed into the .db).
    expect(leaksInDataDir(dataDir)).toEqual({});
  }, 120_000);

  async function waitForMessages(conversationId: string, count: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const detail = await api(`/api/conversations/${conversationId}`);
      if ((detail.json.messages?.length ?? 0) >= count) return;
      if (Date.now() > deadline) throw new Error(`conversation ${conversationId} never reached ${count} messages`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

describe('privacy at rest: a pending command with a secret', () => {
  const work = mkdtempSync(join(tmpdir(), 'fm-at-rest-approvals-'));
  const cores: Core[] = [];
  afterAll(async () => {
    while (cores.length) await cores.pop()!.close();
    rmSync(work, { recursive: true, force: true });
  });
  const openCore = async (): Promise<Core> => {
    const core = new Core({ env: { ...process.env, FLEETMIND_HOME: join(work, 'data'), OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets: new MemorySecretStore() });
    cores.push(core);
    await core.ready();
    return core;
  };
  const close = async (core: Core) => {
    cores.splice(cores.indexOf(core), 1);
    await core.close();
  };
  const ask = (core: Core, command: string) =>
    core.requestApproval({ conversationId: null, command, hosts: ['localhost'], category: 'mutating', reasons: ['writes a file'], purpose: null, requester: 'cli:exec', policyVersion: core.gate.policyVersion });

  it('runs only where it was queued, with its exact text; elsewhere approving is refused with the reason, denying works', async () => {
    const out = join(work, 'token-file');
    const command = `touch ${out}-${TYPED.execToken}`;
    const queuing = await openCore();
    const approval = ask(queuing, command);
    expect(approval.command).toBe(`touch ${out}-[REDACTED:github-token#1]`);

    // Another process on the same data dir (a CLI next to the server) sees only the redacted row.
    const elsewhere = await openCore();
    const refused = await elsewhere.decideApproval(approval.id, { decision: 'approve' }, 'cli').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApprovalError);
    expect((refused as ApprovalError).error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/contains a secret.*only in the memory of the process that queued it/) });
    expect((refused as ApprovalError).error.message).not.toContain(TYPED.execToken);
    await close(elsewhere);

    // Where it was queued: not remembered (a rule would keep the text on disk), approved once it runs exactly.
    const view = queuing.showApproval(approval.id);
    expect(view).toMatchObject({ status: 'pending', rememberable: false, notRememberable: expect.stringMatching(/contains a secret/) });
    const remember = await queuing.decideApproval(approval.id, { decision: 'approve', remember: 'host' }, 'cli').catch((err: unknown) => err);
    expect((remember as ApprovalError).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/cannot remember.*contains a secret/) });
    const ran = await queuing.decideApproval(approval.id, { decision: 'approve' }, 'cli');
    expect(ran.results).toMatchObject([{ host: 'localhost', ok: true }]);
    expect(existsSync(`${out}-${TYPED.execToken}`)).toBe(true);

    // After a restart the exact text is gone: approving is refused, denying still works and is audited with the digest.
    const second = ask(queuing, `touch ${out}-again-${TYPED.execToken}`);
    await close(queuing);
    const restarted = await openCore();
    await expect(restarted.decideApproval(second.id, { decision: 'approve' }, 'cli')).rejects.toThrow(/contains a secret/);
    expect((await restarted.decideApproval(second.id, { decision: 'deny' }, 'cli')).approval.status).toBe('denied');
    const denied = restarted.auditLog.list({ kind: 'approval' }).find((e) => e.data.approvalId === second.id && e.data.event === 'denied')!;
    expect(denied.subject).toBe(`touch ${out}-again-[REDACTED:github-token#1]`);
    expect(denied.data.subjectSha256).toBe(createHash('sha256').update(`touch ${out}-again-${TYPED.execToken}`).digest('hex'));
    restarted.flushAudit('close');
    expect(restarted.auditLog.verify()).toMatchObject({ ok: true });
    await close(restarted);

    expect(leaksInDataDir(join(work, 'data'))).toEqual({});
  });
});

describe('privacy at rest: what a model gets back from the store', () => {
  let llm: LlmServer;
  const work = mkdtempSync(join(tmpdir(), 'fm-at-rest-history-'));
  const cores: Core[] = [];
  beforeAll(async () => {
    llm = await startLlmServer({ scenario: () => ({ text: 'noted' }) });
  });
  afterAll(async () => {
    while (cores.length) await cores.pop()!.close();
    await llm.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a local model gets the current turn as typed and the history as stored, redacted', async () => {
    const home = join(work, 'local');
    mkdirSync(home, { mode: 0o700 });
    writeFileSync(join(home, 'config.yaml'), `llm:\n  providers:\n    - name: lan\n      baseURL: ${llm.baseURL}\n      local: true\n  models:\n    chat: lan/gpt-4o-mini\n`);
    const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets: new MemorySecretStore() });
    cores.push(core);
    const first = await core.chat({ message: `the deploy password=${TYPED.chatPassword} is in the vault` });
    expect(llm.chatRequests.at(-1)!.rawBody).toContain(TYPED.chatPassword);
    await core.chat({ conversationId: first.conversationId, message: `and the token is ${TYPED.chatToken}` });
    const second = llm.chatRequests.at(-1)!.rawBody;
    expect(second).toContain(TYPED.chatToken);
    expect(second).not.toContain(TYPED.chatPassword);
    expect(second).toContain('password=[REDACTED:password#1]');
    const stored = core.getConversation(first.conversationId)!;
    expect(stored.title).toBe('the deploy password=[REDACTED:password#1] is in the vault');
    expect(stored.messages.map((m) => m.content).join('\n')).not.toMatch(new RegExp(`${TYPED.chatToken}|${TYPED.chatPassword}`));
  });
});
