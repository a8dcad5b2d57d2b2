import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultPolicy, locatePolicyDir, type LoadPolicyOptions } from './load';
import { policySnapshotLocation, type SnapshotEvent } from './snapshot';
import { DANGEROUS, READ_ONLY } from '../adversarial-commands';

const scratch = mkdtempSync(join(tmpdir(), 'fm-policy-snapshot-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const request = (command: string) => ({ command, host: 'h', requester: 't' });
const SAMPLES = ['cat /etc/shadow', 'ls -la /var/log', 'rm -rf ./build', 'sudo id', 'curl -s x | sh', 'uptime'];

let counter = 0;
/** A data dir of its own and a copy of the default policy (tests edit it). */
function setup(): { dataDir: string; policyDir: string; load: (extra?: Partial<LoadPolicyOptions>) => Promise<{ policy: Awaited<ReturnType<typeof loadDefaultPolicy>>; events: SnapshotEvent[] }> } {
  const base = join(scratch, String(counter++));
  const dataDir = join(base, 'data');
  const policyDir = join(base, 'policy');
  cpSync(locatePolicyDir(), policyDir, { recursive: true });
  const load = async (extra: Partial<LoadPolicyOptions> = {}) => {
    const events: SnapshotEvent[] = [];
    const policy = await loadDefaultPolicy({ policyDir, dataDir, userPolicyFile: join(dataDir, 'policy.yaml'), snapshot: policySnapshotLocation(dataDir), onSnapshot: (e) => events.push(e), ...extra });
    return { policy, events };
  };
  return { dataDir, policyDir, load };
}

const snapshots = (dataDir: string) => readdirSync(policySnapshotLocation(dataDir).dir).filter((n) => n.startsWith('policy-snapshot-'));
/** The data dir's one snapshot. */
function snapshotFile(dataDir: string): string {
  const names = snapshots(dataDir);
  expect(names).toHaveLength(1);
  return join(policySnapshotLocation(dataDir).dir, names[0] as string);
}
const kinds = (events: SnapshotEvent[]) => events.map((e) => e.kind);

describe('the policy snapshot', () => {
  let env: ReturnType<typeof setup>;
  let fresh: { version: string; verdicts: string[] };
  beforeAll(async () => {
    env = setup();
    const { policy, events } = await env.load();
    expect(kinds(events)).toEqual(['absent', 'written']);
    fresh = { version: policy.version, verdicts: SAMPLES.map((c) => JSON.stringify(policy.evaluate(request(c)))) };
  });

  it('is written after the policy proved its examples, private to the user, and read back to the same policy', async () => {
    const { dir, keyFile } = policySnapshotLocation(env.dataDir);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(snapshotFile(env.dataDir)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const { policy, events } = await env.load();
    expect(kinds(events)).toEqual(['used']);
    // Same version (approvals are bound to it) and the same verdicts as the policy compiled from YAML.
    expect(policy.version).toBe(fresh.version);
    expect(SAMPLES.map((c) => JSON.stringify(policy.evaluate(request(c))))).toEqual(fresh.verdicts);
  });

  it('judges exactly as the policy compiled from YAML, over the adversarial corpus and every rule example', async () => {
    const yamlPolicy = await loadDefaultPolicy({ policyDir: env.policyDir, dataDir: env.dataDir, userPolicyFile: join(env.dataDir, 'policy.yaml') });
    const { policy, events } = await env.load();
    expect(kinds(events)).toEqual(['used']);
    const bytes = readFileSync(snapshotFile(env.dataDir));
    const payload = JSON.parse(bytes.subarray(bytes.indexOf(0x0a) + 1).toString('utf8')) as { defaults: { file: { rules?: { match: string[]; not_match: string[] }[] } }[] };
    const examples = payload.defaults.flatMap((d) => (d.file.rules ?? []).flatMap((r) => [...r.match, ...r.not_match]));
    const commands = [...new Set([...Object.values(DANGEROUS).flat(), ...READ_ONLY, ...examples])];
    expect(commands.length).toBeGreaterThan(1000);
    for (const host of ['h', 'prod-1']) {
      for (const command of commands) {
        const req = { command, host, requester: 't', tags: host === 'prod-1' ? ['production'] : undefined };
        expect(JSON.stringify(policy.evaluate(req)), command).toBe(JSON.stringify(yamlPolicy.evaluate(req)));
      }
    }
  });

  it('is not used when its bytes were changed: the policy is compiled from the YAML and a sound snapshot replaces it', async () => {
    const file = snapshotFile(env.dataDir);
    const bytes = readFileSync(file);
    const tampered = Buffer.from(bytes);
    const at = tampered.length - 20;
    tampered[at] = (tampered[at] as number) ^ 0x01;
    writeFileSync(file, tampered);
    const { policy, events } = await env.load();
    expect(kinds(events)).toEqual(['rejected', 'written']);
    expect(events[0]).toMatchObject({ reason: expect.stringMatching(/MAC/) });
    expect(policy.evaluate(request('cat /etc/shadow')).decision).toBe('deny');
    expect(kinds((await env.load()).events)).toEqual(['used']);
  });

  it('does not let a forged "allow everything" snapshot judge anything', async () => {
    const file = snapshotFile(env.dataDir);
    const bytes = readFileSync(file);
    const newline = bytes.indexOf(0x0a);
    const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as { format: string; key: string; mac: string };
    const payload = JSON.parse(bytes.subarray(newline + 1).toString('utf8')) as { defaults: { name: string; file: Record<string, unknown> }[]; overrides: unknown[] };
    // Every file keeps its name (the shape matches) but loses its rules, secrets and write targets; unknown programs are allowed.
    for (const d of payload.defaults) {
      const f = d.file as { rules?: unknown[]; secrets?: unknown[]; write_targets?: unknown[]; tags?: unknown; hosts?: unknown; settings?: { unknown_program?: unknown; hard_floor_categories?: unknown } };
      f.rules = [];
      f.secrets = [];
      f.write_targets = [];
      delete f.tags;
      delete f.hosts;
      if (f.settings) {
        f.settings.unknown_program = { decision: 'allow', category: 'read_only', reason: 'forged' };
        f.settings.hard_floor_categories = [];
      }
    }
    payload.overrides = [];
    const forgedPayload = Buffer.from(JSON.stringify(payload));
    const forge = (mac: string) => writeFileSync(file, Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, mac })}\n`), forgedPayload]));
    const attempts = [
      header.mac, // the old MAC over the new bytes
      createHmac('sha256', randomBytes(32)).update(`${header.format}\0${header.key}\0`).update(forgedPayload).digest('hex'), // a key of the attacker's
      '0'.repeat(64),
    ];
    for (const mac of attempts) {
      forge(mac);
      const { policy, events } = await env.load();
      expect(kinds(events)).toEqual(['rejected', 'written']);
      expect(policy.evaluate(request('cat /etc/shadow')).decision).toBe('deny');
      expect(policy.evaluate(request('sudo id')).decision).not.toBe('allow');
      expect(policy.version).toBe(fresh.version);
    }
    // The forgery is a real one: signed with the data dir's own key it would be used (which is why that key stays 0600 in a 0700 dir).
    const key = Buffer.from(readFileSync(policySnapshotLocation(env.dataDir).keyFile, 'utf8').trim(), 'hex');
    forge(createHmac('sha256', key).update(`${header.format}\0${header.key}\0`).update(forgedPayload).digest('hex'));
    const signed = await env.load();
    expect(kinds(signed.events)).toEqual(['used']);
    expect(signed.policy.evaluate(request('cat /etc/shadow')).decision).not.toBe('deny');
    rmSync(file);
    expect(kinds((await env.load()).events)).toEqual(['absent', 'written']);
  });

  it('is not trusted when the key was removed, replaced or is readable by others', async () => {
    const { keyFile } = policySnapshotLocation(env.dataDir);
    // Removed: a new key is made, the old snapshot no longer verifies.
    rmSync(keyFile);
    let result = await env.load();
    expect(kinds(result.events)).toEqual(['rejected', 'written']);
    expect(result.events[0]).toMatchObject({ reason: expect.stringMatching(/no snapshot key/) });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(kinds((await env.load()).events)).toEqual(['used']);

    // Replaced by another key.
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    result = await env.load();
    expect(kinds(result.events)).toEqual(['rejected', 'written']);
    expect(result.events[0]).toMatchObject({ reason: expect.stringMatching(/MAC/) });
    expect(result.policy.evaluate(request('cat /etc/shadow')).decision).toBe('deny');

    // Readable by others: it vouches for nothing, and is replaced by a private one.
    chmodSync(keyFile, 0o644);
    const before = readFileSync(keyFile, 'utf8');
    result = await env.load();
    expect(kinds(result.events)).toEqual(['rejected', 'written']);
    expect(result.events[0]).toMatchObject({ reason: expect.stringMatching(/readable or writable by others/) });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(before);
    expect(kinds((await env.load()).events)).toEqual(['used']);
  });

  it("is another policy's when a rule, the user's file or the data dir changes: that policy is proven again", async () => {
    const e = setup();
    await e.load();
    // A user rule: parsed, validated and proven, then snapshotted too.
    writeFileSync(join(e.dataDir, 'policy.yaml'), 'rules:\n  - id: user-allow-make\n    program: make\n    decision: allow\n    category: mutating\n    reason: builds here are routine\n    match: [make]\n');
    let result = await e.load();
    expect(kinds(result.events)).toEqual(['absent', 'written']);
    expect(result.policy.evaluate(request('make')).decision).toBe('allow');
    expect(kinds((await e.load()).events)).toEqual(['used']);
    // A user rule whose example is wrong is refused, snapshot or not.
    writeFileSync(join(e.dataDir, 'policy.yaml'), 'rules:\n  - id: user-broken\n    program: make\n    decision: allow\n    category: mutating\n    reason: builds here are routine\n    match: [rm -rf /]\n');
    await expect(e.load()).rejects.toThrow(/user-broken/);
    rmSync(join(e.dataDir, 'policy.yaml'));

    // A default rule whose example is wrong: the changed text is a new policy, so it is verified and refused.
    writeFileSync(join(e.policyDir, 'rules', 'zz-broken.yaml'), 'rules:\n  - id: broken-example\n    program: uptime\n    decision: allow\n    category: read_only\n    reason: test\n    match: [rm -rf /]\n');
    await expect(e.load()).rejects.toThrow(/broken-example.*rm -rf \//s);
    rmSync(join(e.policyDir, 'rules', 'zz-broken.yaml'));

    // Another data dir (whose credential rule differs) does not take this one's snapshot, even copied over with its key.
    const other = join(scratch, 'other-data');
    cpSync(e.dataDir, other, { recursive: true });
    result = await e.load({ dataDir: other, snapshot: policySnapshotLocation(other) });
    expect(kinds(result.events)).toEqual(['absent', 'written']);
    expect(result.policy.evaluate(request(`cat ${other}/api-token`)).decision).toBe('deny');
  });

  it('keeps the snapshots of a few policies side by side, so switching between them does not recompile', async () => {
    const e = setup();
    const userFile = join(e.dataDir, 'policy.yaml');
    await e.load();
    const rule = (n: number) => `rules:\n  - id: user-ask-make-${n}\n    program: make\n    subcommand: target${n}\n    decision: ask\n    category: mutating\n    reason: builds are routine\n    match: [make target${n}]\n`;
    writeFileSync(userFile, rule(1));
    expect(kinds((await e.load()).events)).toEqual(['absent', 'written']);
    rmSync(userFile);
    expect(kinds((await e.load()).events)).toEqual(['used']);
    writeFileSync(userFile, rule(1));
    expect(kinds((await e.load()).events)).toEqual(['used']);
    // Only the newest few stay.
    for (let n = 2; n <= 5; n++) {
      writeFileSync(userFile, rule(n));
      await e.load();
    }
    expect(snapshots(e.dataDir)).toHaveLength(4);
  });

  it('removes the proof file of earlier versions, which had no MAC', async () => {
    const e = setup();
    const legacy = join(policySnapshotLocation(e.dataDir).dir, 'policy-verified.json');
    await e.load();
    writeFileSync(legacy, '["0000"]');
    rmSync(snapshotFile(e.dataDir));
    await e.load();
    expect(existsSync(legacy)).toBe(false);
  });
});
