// Pseudonyms for remote models and local-only routing (issue 16, items 1, 2 and their tests
// in 5), end to end in process: a real sshd host in the inventory under a name of its own, the
// scripted OpenAI-compatible server as a remote provider (it records every request), the real
// SDK, the safety gate, approvals and the SSH executor.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../src/shared/protocol';
import { Core } from '../src/main/core/compose';
import { MemorySecretStore } from '../src/main/core/secrets';
import { startLlmServer, type LlmServer, type ScenarioInput } from './fixtures/llm-server/index';
import { canMountPerHost, startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';

const NAME = 'payments-db-7';
const VAULT = 'secrets-kv-3';
const BACKUP_IP = '10.9.8.7';
const OPERATOR_MAIL = 'ops.lead@corp.example';
const MARKER = join(tmpdir(), `fm-pseudonym-marker-${process.pid}`);
/** An account that exists only in the sshd host's own /etc/passwd (where hosts can get mounts of their own). */
const HOST_ACCOUNT = 'mallory-ops';
let hostPasswd = false;

let llm: LlmServer;
let fx: SshdFleet;
const dirs: string[] = [];
const cores: Core[] = [];

beforeAll(async () => {
  hostPasswd = await canMountPerHost();
  const passwdDir = mkdtempSync(join(tmpdir(), 'fm-pseudonyms-passwd-'));
  dirs.push(passwdDir);
  const passwd = join(passwdDir, 'passwd');
  writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8').trimEnd()}\n${HOST_ACCOUNT}:x:1042:1042:Mallory:/nonexistent:/bin/false\n`);
  fx = await startSshdHosts({ count: 1, names: [NAME], distinctAddresses: true, ...(hostPasswd ? { hostMounts: { [NAME]: [{ kind: 'bind' as const, source: passwd, target: '/etc/passwd' }] } } : {}) });
  llm = await startLlmServer({ apiKey: 'sk-fixture-key-1234567890' });
}, 60_000);
afterAll(async () => {
  await llm?.stop();
  await fx?.stopAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(async () => {
  while (cores.length) await cores.pop()!.close();
});

async function makeCore(scenario: ScenarioInput, extraYaml = ''): Promise<Core> {
  llm.reset();
  llm.setScenario(scenario);
  const home = mkdtempSync(join(tmpdir(), 'fm-pseudonyms-'));
  dirs.push(home);
  writeFileSync(
    join(home, 'config.yaml'),
    `llm:\n  providers:\n    - name: remote\n      baseURL: ${llm.baseURL}\n      local: false\n    - name: lan\n      baseURL: ${llm.baseURL}\n      local: true\n  models:\n    chat: remote/gpt-4o-mini\n    diagnosis: remote/gpt-4o-mini\n    summarize: remote/gpt-4o-mini\n    sensitive: lan/llama-local\nprivacy:\n  internalDomains: [corp.example]\n${extraYaml}`,
  );
  const secrets = new MemorySecretStore();
  void secrets.set('provider:remote', 'sk-fixture-key-1234567890');
  void secrets.set('provider:lan', 'sk-fixture-key-1234567890');
  const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets });
  cores.push(core);
  const h = fx.hosts[0]!;
  for (const [name, tags] of [[NAME, ['payments']], [VAULT, ['vault']]] as const) {
    const host = core.inventory.upsert({ name, address: h.address, port: h.port, user: h.user, identityFile: fx.clientKeyPath, tags: [...tags], jump: null, privacy: 'default' });
    await core.fleet.trustHostKey(host, h.hostKeyFingerprint, 'test');
  }
  return core;
}

async function chat(core: Core, message: string, conversationId?: string) {
  const events: ChatEvent[] = [];
  const response = await core.chat({ message, conversationId }, { onEvent: (e) => events.push(e) });
  return { response, events, streamed: events.flatMap((e) => (e.type === 'token' ? [e.text] : [])).join('') };
}

const remoteBodies = () => llm.chatRequests.filter((r) => (r.body as { model: string }).model !== 'llama-local').map((r) => JSON.stringify(r.body));
const localBodies = () => llm.chatRequests.filter((r) => (r.body as { model: string }).model === 'llama-local').map((r) => JSON.stringify(r.body));

describe('pseudonyms for remote models', () => {
  it('sends host-1 instead of the host, maps the answer and the command back, runs it on the real host after an approval that names it', async () => {
    const address = fx.hosts[0]!.address;
    const core = await makeCore([
      // After the approval: Fleetmind's note with the output (its host name pseudonymised).
      {
        match: { lastUser: 'Fleetmind, not the operator[\\s\\S]*exit 0\\]\\s+([\\w-]+)', system: '- (host-\\d+) \\(ip-\\d+, tags: payments' },
        respond: { text: 'The marker is in place on {{system.1}}; it answered as {{lastUser.1}}.' },
      },
      // The invented and the borrowed pseudonym came back refused.
      { match: { toolResultContains: 'is not a name used in this conversation' }, respond: { text: 'I could not check that host.' } },
      { match: { lastUser: 'other host', hasToolResult: false }, respond: { tool_calls: [{ name: 'server_status', arguments: { host: 'host-99' } }] } },
      { match: { lastUser: 'backup target', hasToolResult: false }, respond: { tool_calls: [{ name: 'disk_usage', arguments: { host: 'ip-2' } }] } },
      { match: { toolResult: 'run_command', system: '- (host-\\d+) \\((ip-\\d+), tags: payments' }, respond: { text: 'I asked to run it on {{system.1}} ({{system.2}}); approve it to continue.' } },
      {
        match: { lastUser: 'marker', hasToolResult: false, system: '- (host-\\d+) \\((ip-\\d+), tags: payments' },
        respond: { tool_calls: [{ name: 'run_command', arguments: { command: `touch ${MARKER} && hostname && id -nu 1042`, host: '{{system.1}}', purpose: 'create the marker on {{system.1}}' } }] },
      },
    ]);

    const first = await chat(core, `Create the marker file on ${NAME} (${address}); backups go to ${BACKUP_IP}, mail ${OPERATOR_MAIL} when done.`);
    expect(llm.unmatched).toEqual([]);
    // What the remote model saw: pseudonyms only.
    const sent = remoteBodies().join('\n');
    for (const real of [NAME, address, BACKUP_IP, OPERATOR_MAIL, VAULT]) expect(sent).not.toContain(real);
    expect(sent).toContain('host-1 (ip-1, tags: payments)');
    expect(sent).toContain('\\"host\\":\\"host-1\\"');
    // What the operator reads: real names, streamed and final.
    expect(first.response.reply).toBe(`I asked to run it on ${NAME} (${address}); approve it to continue.`);
    expect(first.streamed).toContain(`I asked to run it on ${NAME} (${address})`);
    expect(first.streamed).not.toMatch(/host-1|ip-1/);
    // The approval shows the real command on the real host.
    expect(first.response.pendingApprovals).toHaveLength(1);
    const approval = first.response.pendingApprovals[0]!;
    expect(approval.hosts).toEqual([NAME]);
    expect(approval.command).toBe(`touch ${MARKER} && hostname && id -nu 1042`);
    expect(approval.purpose).toBe(`create the marker on ${NAME}`);

    // Approved: it runs on the sshd host, and the model's answer about it comes back real.
    const decided = await core.decideApproval(approval.id, { decision: 'approve' }, 'cli');
    expect(decided.results).toMatchObject([{ host: NAME, ok: true }]);
    expect(existsSync(MARKER)).toBe(true);
    dirs.push(MARKER);
    await llm.waitForChatRequests(3);
    await expect.poll(() => core.store.conversations.messages(first.response.conversationId).at(-1)?.content ?? '', { timeout: 10_000 }).toMatch(/^The marker is in place on /);
    const resumed = core.store.conversations.messages(first.response.conversationId).at(-1)!.content;
    expect(resumed).toContain(`on ${NAME};`);
    // The host's own output (its hostname, under UTS isolation the inventory name) went pseudonymised too.
    if (fx.isolation !== 'none') expect(resumed).toBe(`The marker is in place on ${NAME}; it answered as ${NAME}.`);
    expect(resumed).not.toMatch(/host-\d/);
    for (const real of [NAME, address]) expect(remoteBodies().join('\n')).not.toContain(real);
    if (hostPasswd) {
      // The host's own account (from its /etc/passwd, read before its output went out) left as a pseudonym.
      expect(decided.results[0]!.stdout).toContain(HOST_ACCOUNT);
      expect(remoteBodies().join('\n')).not.toContain(HOST_ACCOUNT);
      expect(remoteBodies().join('\n')).toMatch(/user-\d+/);
    }

    // A pseudonym the model invents is refused, not guessed: nothing runs.
    const invented = await chat(core, 'and the other host?', first.response.conversationId);
    expect(invented.response.toolCalls).toEqual([]);
    expect(invented.response.reply).toBe('I could not check that host.');
    expect(JSON.stringify(llm.chatRequests.at(-1)!.body)).toMatch(/host-99 is not a name used in this conversation/);

    // One issued in another conversation (ip-2 is the backup address there) is refused here too.
    const other = await chat(core, 'how full is the backup target?');
    expect(other.response.conversationId).not.toBe(first.response.conversationId);
    expect(other.response.toolCalls).toEqual([]);
    expect(JSON.stringify(llm.chatRequests.at(-1)!.body)).toMatch(/ip-2 is not a name used in this conversation/);
    expect(remoteBodies().join('\n')).not.toContain(BACKUP_IP);
  }, 90_000);

  it('sends real names to a provider marked local: true', async () => {
    const core = await makeCore([{ respond: { text: 'Noted {{lastUser}}' } }], `  pseudonymise: true\n`);
    await chat(core, `tell me about ${VAULT}`, undefined);
    // Not local-only: goes to the remote model, pseudonymised.
    expect(remoteBodies().join('\n')).not.toContain(VAULT);
    const local = await makeCore([{ respond: { text: 'ok' } }], `  tags:\n    vault: local_only\n`);
    await chat(local, `tell me about ${VAULT}`);
    expect(localBodies().join('\n')).toContain(VAULT);
  });
});

describe('local_only by tag', () => {
  it('routes a conversation touching a local_only tag to the local model; nothing about the host reaches the remote one', async () => {
    const core = await makeCore(
      [
        { match: { model: 'llama-local', toolResult: 'disk_usage' }, respond: { text: 'Local model: {{toolResult:disk_usage|firstLine}}' } },
        { match: { model: 'llama-local' }, respond: { text: 'Local model answering.' } },
        { match: { model: 'gpt-4o-mini', lastUser: 'disks', hasToolResult: false }, respond: { tool_calls: [{ name: 'disk_usage', arguments: { host: 'tag:vault' } }] } },
      ],
      `  tags:\n    vault: local_only\n`,
    );
    const address = fx.hosts[0]!.address;

    // Named in the message: local from the start.
    const named = await chat(core, `what is the memory on ${VAULT}?`);
    expect(llm.unmatched).toEqual([]);
    expect(named.response.reply).toBe('Local model answering.');
    expect(named.response.usage.model).toBe('lan/llama-local');
    expect(remoteBodies()).toEqual([]);
    // The local model gets the real names (it is trusted with them).
    expect(localBodies().join('\n')).toContain(VAULT);

    // Touched mid-way by the model's own tool call: the tool result and the rest go local only.
    const mid = await chat(core, 'how are the disks?');
    expect(mid.response.toolCalls).toMatchObject([{ tool: 'disk_usage', host: VAULT }]);
    expect(mid.response.reply).toMatch(/^Local model: /);
    expect(mid.response.usage.model).toBe('lan/llama-local');
    expect(remoteBodies()).toHaveLength(1);
    const next = await chat(core, 'thanks, anything else?', mid.response.conversationId);
    expect(next.response.usage.model).toBe('lan/llama-local');
    expect(remoteBodies()).toHaveLength(1);

    // Nothing about the host (name, address, tag's hosts, its output) reached the remote server;
    // its fleet list does not even mention the local-only host.
    const remote = remoteBodies().join('\n');
    for (const real of [VAULT, address, 'secrets-kv']) expect(remote).not.toContain(real);
    expect(remote).not.toMatch(/tags: vault/);
  }, 60_000);
});
