import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostKeyVerifier, type HostKeyTrustStore, type TrustedHostKey } from './host-keys';
import { entryMatches, keyTypeOfBlob, knownHostsName, parseKnownHosts, publicHostKey, sshFingerprint } from './known-hosts';

/** An ed25519 public key blob in SSH wire format. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  return Buffer.concat([len(type.length), type, len(raw.length), raw]);
}

const keyA = ed25519Blob();
const keyB = ed25519Blob();
const b64 = (b: Buffer) => b.toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'fm-known-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class MemoryTrust implements HostKeyTrustStore {
  rows: TrustedHostKey[] = [];
  forEndpoint(endpoint: string) {
    return this.rows.filter((r) => r.endpoint === endpoint);
  }
  trust(key: Omit<TrustedHostKey, 'addedAt'>) {
    this.rows = this.rows.filter((r) => r.endpoint !== key.endpoint);
    this.rows.push({ ...key, addedAt: new Date().toISOString() });
  }
  forget(endpoint: string) {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => r.endpoint !== endpoint);
    return before - this.rows.length;
  }
}

describe('known_hosts', () => {
  it('names endpoints as OpenSSH does and fingerprints like ssh-keygen', () => {
    expect(knownHostsName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
    expect(keyTypeOfBlob(keyA)).toBe('ssh-ed25519');
    const file = join(dir, 'one');
    writeFileSync(file, `host ssh-ed25519 ${b64(keyA)}\n`);
    const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' });
    expect(r.stdout).toContain(sshFingerprint(keyA));
  });

  it('parses markers, patterns, comments and skips garbage', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `web1,10.0.0.5 ssh-ed25519 ${b64(keyA)} comment here`,
        `@revoked * ssh-ed25519 ${b64(keyB)}`,
        `@cert-authority *.example.com ssh-ed25519 ${b64(keyB)}`,
        'garbage',
        `@bogus x ssh-ed25519 ${b64(keyA)}`,
      ].join('\n'),
      'test',
    );
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ marker: null, patterns: ['web1', '10.0.0.5'], keyType: 'ssh-ed25519', source: 'test:3' });
    expect(entries[1]?.marker).toBe('revoked');
    expect(entries[2]?.marker).toBe('cert-authority');
  });

  it('matches plain, [host]:port, wildcard, negated and hashed patterns', () => {
    const [plain, ported, wild, neg] = parseKnownHosts(
      [
        `10.0.0.5 ssh-ed25519 ${b64(keyA)}`,
        `[10.0.0.5]:2222 ssh-ed25519 ${b64(keyA)}`,
        `*.example.com ssh-ed25519 ${b64(keyA)}`,
        `*.example.com,!bad.example.com ssh-ed25519 ${b64(keyA)}`,
      ].join('\n'),
      't',
    );
    expect(entryMatches(plain!, '10.0.0.5')).toBe(true);
    expect(entryMatches(plain!, '[10.0.0.5]:2222')).toBe(false);
    expect(entryMatches(ported!, '[10.0.0.5]:2222')).toBe(true);
    expect(entryMatches(wild!, 'web.example.com')).toBe(true);
    expect(entryMatches(neg!, 'bad.example.com')).toBe(false);
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[10.0.0.5]:2222').digest();
    const [hashed] = parseKnownHosts(`|1|${salt.toString('base64')}|${hash.toString('base64')} ssh-ed25519 ${b64(keyA)}`, 't');
    expect(entryMatches(hashed!, '[10.0.0.5]:2222')).toBe(true);
    expect(entryMatches(hashed!, '10.0.0.5')).toBe(false);
  });

  it('reads entries hashed by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `[127.0.0.1]:2201 ssh-ed25519 ${b64(keyA)}\n`);
    expect(spawnSync('ssh-keygen', ['-H', '-f', file]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const v = new HostKeyVerifier([file], null);
    expect(v.verify('127.0.0.1', 2201, publicHostKey(keyA)).status).toBe('trusted');
    expect(v.verify('127.0.0.1', 2201, publicHostKey(keyB)).status).toBe('mismatch');
    expect(v.verify('127.0.0.1', 2202, publicHostKey(keyA)).status).toBe('unknown');
  });
});

describe('HostKeyVerifier', () => {
  it('trusts a known key, refuses a changed one naming both fingerprints, and reports unknown ones', () => {
    const file = join(dir, 'kh');
    writeFileSync(file, `[127.0.0.1]:2200 ssh-ed25519 ${b64(keyA)}\n`);
    const v = new HostKeyVerifier([file, join(dir, 'missing')], null);
    expect(v.verify('127.0.0.1', 2200, publicHostKey(keyA))).toMatchObject({ status: 'trusted' });
    const changed = v.verify('127.0.0.1', 2200, publicHostKey(keyB));
    expect(changed.status).toBe('mismatch');
    if (changed.status === 'mismatch') {
      expect(changed.expected[0]?.fingerprint).toBe(sshFingerprint(keyA));
      expect(changed.key.fingerprint).toBe(sshFingerprint(keyB));
      expect(changed.expected[0]?.source).toContain(':1');
    }
    expect(v.verify('127.0.0.1', 2201, publicHostKey(keyA)).status).toBe('unknown');
    expect(v.knownKeyTypes('[127.0.0.1]:2200')).toEqual(['ssh-ed25519']);
  });

  it('uses Fleetmind’s own store, where a confirmed replacement wins', () => {
    const file = join(dir, 'kh2');
    writeFileSync(file, `[127.0.0.1]:2300 ssh-ed25519 ${b64(keyA)}\n`);
    const store = new MemoryTrust();
    const v = new HostKeyVerifier([file], store);
    expect(v.verify('127.0.0.1', 2300, publicHostKey(keyB)).status).toBe('mismatch');
    store.trust({ endpoint: '[127.0.0.1]:2300', hostName: 'h', keyType: 'ssh-ed25519', keyBase64: b64(keyB), fingerprint: sshFingerprint(keyB), addedBy: 'test' });
    expect(v.verify('127.0.0.1', 2300, publicHostKey(keyB))).toMatchObject({ status: 'trusted', source: expect.stringContaining('Fleetmind') });
    // re-reads the file when it changes
    writeFileSync(file, `@revoked [127.0.0.1]:2300 ssh-ed25519 ${b64(keyB)}\n`);
    expect(v.verify('127.0.0.1', 2300, publicHostKey(keyB)).status).toBe('revoked');
  });
});
