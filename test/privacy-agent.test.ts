import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../src/main/core/compose';
import { MemorySecretStore } from '../src/main/core/secrets';
import { startLlmServer, type LlmServer, type ScenarioInput } from './fixtures/llm-server/index';

// Made-up secrets in real shapes.
const AWS_SECRET = 'k9Jx2PqLm4Nv7Rt1Wz5Yb8Cd3Fg6Hj0Ks2Lq4Mn+/';
const PEM_BODY = ['MIIEowIBAAKCAQEAr3Tz2mr7SuFDQa7xW9kq4r7b1mB0eB6pQ3o8d1f2g3h4j5k6', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6Xw5Vu4Ts3Rq2Po1Nm0Lk9J'];
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', ...PEM_BODY, '-----END RSA PRIVATE KEY-----'].join('\n');
const DB_PASSWORD = 'Pg-S3cret!2024x';
const USER_PASSWORD = 'Typed-1n-Chat!9';

let llm: LlmServer;
const dirs: string[] = [];
const cores: Core[] = [];

beforeAll(async () => {
  llm = await startLlmServer({ apiKey: 'sk-fixture-key-1234567890' });
});
afterAll(async () => {
  await llm.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(async () => {
  while (cores.length) await cores.pop()!.close();
});

function makeCore(scenario: ScenarioInput, local: boolean): Core {
  llm.reset();
  llm.setScenario(scenario);
  const home = mkdtempSync(join(tmpdir(), 'fm-privacy-'));
  dirs.push(home);
  writeFileSync(join(home, 'config.yaml'), `llm:\n  providers:\n    - name: fixture\n      baseURL: ${llm.baseURL}\n      local: ${local}\n  models:\n    chat: fixture/gpt-4o-mini\n    summarize: fixture/gpt-4o-mini\n`);
  const secrets = new MemorySecretStore();
  void secrets.set('provider:fixture', 'sk-fixture-key-1234567890');
  const core = new Core({ env: { ...process.env, FLEETMIND_HOME: home, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, secrets });
  cores.push(core);
  return core;
}

function seedFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fm-privacy-file-'));
  dirs.push(dir);
  const file = join(dir, 'app.env');
  writeFileSync(file, `# app settings\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET}\nDATABASE_URL=postgres://app:${DB_PASSWORD}@db.internal:5432/app\n${PEM}\nLOG_LEVEL=info\n`);
  return file;
}

/** read_file on the seeded file; then, seeing a placeholder, a second read_file whose path carries it; then an answer. */
function scenario(file: string): ScenarioInput {
  return [
    { match: { toolResultContains: 'No such file|not found|ENOENT|does not exist|cannot' }, respond: { text: 'The file has an AWS secret key, a database URL with a password and a private key.' } },
    { match: { toolResultContains: '(\\[REDACTED:aws-secret-key#1\\])' }, respond: { tool_calls: [{ name: 'read_file', arguments: { path: `${file}.{{toolResultContains.1}}` } }] } },
    { match: { toolResultContains: 'AWS_SECRET_ACCESS_KEY' }, respond: { text: 'I can see the secret in clear: that is a bug.' } },
    { match: { hasToolResult: false }, respond: { tool_calls: [{ name: 'read_file', arguments: { path: file } }] } },
  ];
}

describe('privacy: nothing secret reaches a remote model', () => {
  it('redacts user messages and tool results before the request, with stable placeholders, and never de-redacts', async () => {
    const file = seedFile();
    const core = makeCore(scenario(file), false);
    const response = await core.chat({ message: `Summarise the file ${file}; the admin password=${USER_PASSWORD} is in it too` }, { onEvent: () => {} });
    expect(llm.unmatched).toEqual([]);
    expect(response.reply).toMatch(/AWS secret key/);

    const raw = llm.chatRequests.map((r) => JSON.stringify(r.body));
    expect(raw.length).toBeGreaterThanOrEqual(3);
    const all = raw.join('\n');
    for (const secret of [AWS_SECRET, DB_PASSWORD, USER_PASSWORD, ...PEM_BODY, 'BEGIN RSA PRIVATE KEY']) expect(all).not.toContain(secret);
    for (const placeholder of ['[REDACTED:aws-secret-key#1]', '[REDACTED:url-password#1]', '[REDACTED:private-key#1]', '[REDACTED:password#1]']) expect(all).toContain(placeholder);
    // Same secret, same placeholder in every later request of the conversation.
    const last = raw.at(-1)!;
    expect(last.match(/\[REDACTED:aws-secret-key#\d+\]/g)?.every((p) => p === '[REDACTED:aws-secret-key#1]')).toBe(true);

    // The model's second call carried the placeholder: it ran with the placeholder as written.
    const calls = response.toolCalls.filter((c) => c.tool === 'read_file');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args.path).toBe(`${file}.[REDACTED:aws-secret-key#1]`);
    expect(calls[1]!.summary).toMatch(/does not exist|cannot be read/);
    expect(JSON.stringify(calls[1])).not.toContain(AWS_SECRET);
  });

  it('sends text as it is to a provider marked local: true', async () => {
    const file = seedFile();
    const core = makeCore(scenario(file), true);
    const response = await core.chat({ message: `Summarise the file ${file}` }, { onEvent: () => {} });
    expect(response.reply).toMatch(/in clear/);
    expect(JSON.stringify(llm.chatRequests.at(-1)!.body)).toContain(AWS_SECRET);
  });
});
