// `fleetmind anomaly detect --csv FILE` (DESIGN contract, issue 18): timestamp,value in,
// timestamp,value,anomaly_score out, score in [0,1], causal — proved by scoring a prefix.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/build';

const home = mkdtempSync(join(tmpdir(), 'fm-anomaly-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function fleetmind(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: { ...process.env, FLEETMIND_HOME: home }, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function series(n: number): string {
  const rows = ['timestamp,value'];
  const t0 = Date.UTC(2026, 0, 1);
  let a = 5;
  for (let i = 0; i < n; i++) {
    a = (a * 1103515245 + 12345) % 2147483648;
    const v = 40 + 15 * Math.sin(i / 40) + (a / 2147483648) * 3 + (i >= 1500 && i < 1520 ? 60 : 0);
    rows.push(`${new Date(t0 + i * 300_000).toISOString().replace('T', ' ').slice(0, 19)},${v.toFixed(3)}`);
  }
  return `${rows.join('\n')}\n`;
}

describe('fleetmind anomaly detect --csv', () => {
  it('adds an anomaly_score column in [0,1], flags the injected spike, and is causal (prefix scores equal)', () => {
    const whole = join(home, 'whole.csv');
    const prefix = join(home, 'prefix.csv');
    const text = series(3000);
    writeFileSync(whole, text);
    writeFileSync(prefix, text.split('\n').slice(0, 1 + 1510).join('\n') + '\n');
    const a = fleetmind('anomaly', 'detect', '--csv', whole);
    expect(a.code, a.stderr).toBe(0);
    const rows = a.stdout.trim().split('\n');
    expect(rows[0]).toBe('timestamp,value,anomaly_score');
    expect(rows).toHaveLength(3001);
    const scores = rows.slice(1).map((r) => Number(r.split(',')[2]));
    for (const s of scores) expect(s >= 0 && s <= 1).toBe(true);
    expect(Math.max(...scores.slice(1500, 1520))).toBeGreaterThanOrEqual(0.5);
    const b = fleetmind('anomaly', 'detect', '--csv', prefix);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout.trim().split('\n')).toEqual(rows.slice(0, 1511));
  });

  it('reports usage and unreadable files with the contract exit codes', () => {
    expect(fleetmind('anomaly', 'detect').code).toBe(2);
    const r = fleetmind('anomaly', 'detect', '--csv', join(home, 'missing.csv'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read');
  });
});
