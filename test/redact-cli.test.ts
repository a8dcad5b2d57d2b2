import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/build';

const home = mkdtempSync(join(tmpdir(), 'fm-redact-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function fleetmind(input: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], {
    env: { ...process.env, FLEETMIND_HOME: home },
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('fleetmind redact --jsonl (DESIGN contract)', () => {
  it('turns {"text"} lines into {"text","findings"} lines with stable placeholders', () => {
    const input = [JSON.stringify({ text: `aws_secret_access_key = ${SECRET}` }), JSON.stringify({ text: 'commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904' }), JSON.stringify({ text: `again: AWS_SECRET_ACCESS_KEY=${SECRET}` })].join('\n');
    const r = fleetmind(`${input}\n`, 'redact', '--jsonl');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string; findings: { type: string; placeholder: string }[] });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ text: 'aws_secret_access_key = [REDACTED:aws-secret-key#1]', findings: [{ type: 'aws-secret-key', placeholder: '[REDACTED:aws-secret-key#1]', start: 24, end: 24 + SECRET.length }] });
    expect(lines[1]).toEqual({ text: 'commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904', findings: [] });
    expect(lines[2]!.text).toBe('again: AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-key#1]');
    expect(r.stdout).not.toContain(SECRET);
  });

  it('answers a bad line with an error object on that line and exits 1 at the end', () => {
    const r = fleetmind(['not json', JSON.stringify({ txt: 1 }), JSON.stringify({ text: 'password=Hunter2-Hunter2' })].join('\n'), 'redact', '--jsonl');
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ error: { code: 'invalid_input' }, line: 1 });
    expect(lines[1]).toMatchObject({ error: { code: 'invalid_input' }, line: 2 });
    expect(lines[2]).toMatchObject({ text: 'password=[REDACTED:password#1]' });
    expect(r.stderr).toMatch(/line 1/);
  });

  it('does not create the store (cold path)', () => {
    fleetmind(`${JSON.stringify({ text: 'x' })}\n`, 'redact', '--jsonl');
    expect(readdirSync(home)).toEqual([]);
  });

  it('rejects arguments as bad usage (exit 2)', () => {
    expect(fleetmind('', 'redact', 'some-file').code).toBe(2);
  });
});
