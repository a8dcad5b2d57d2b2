// `fleetmind forecast --csv FILE --limit L` (DESIGN contract, issue 19): timestamp,value in,
// JSON {"crossesAt","low","high"} out (ISO or null, an 80 % interval); exit 0 / 2 / 1.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/build';

const home = mkdtempSync(join(tmpdir(), 'fm-forecast-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function fleetmind(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env: { ...process.env, FLEETMIND_HOME: home }, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code?: unknown }).code as number) : null) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

const T0 = Date.UTC(2026, 11, 8, 0, 0, 0);
const HOUR = 3_600_000;

/** A disk 50 % full growing 2 % per hour, every 5 minutes for 6 hours, with a little deterministic noise. */
function fillingDisk(): string {
  const rows = ['timestamp,value'];
  for (let i = 0; i <= 72; i++) {
    const wobble = ((i * 37) % 11) / 11 - 0.5;
    rows.push(`${new Date(T0 + i * 5 * 60_000).toISOString().replace('T', ' ').slice(0, 19)},${(0.5 + (0.02 * i) / 12 + 0.002 * wobble).toFixed(5)}`);
  }
  return `${rows.join('\n')}\n`;
}

describe('fleetmind forecast --csv FILE --limit L', () => {
  it('prints when a filling disk reaches the limit, inside an ordered 80 % interval', async () => {
    const file = join(home, 'disk.csv');
    writeFileSync(file, fillingDisk());
    const r = await fleetmind(['forecast', '--csv', file, '--limit', '1']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { crossesAt: string; low: string; high: string };
    expect(Object.keys(out)).toEqual(['crossesAt', 'low', 'high']);
    // 0.5 + 0.02·h = 1 → 25 h after the first row.
    const at = Date.parse(out.crossesAt);
    expect(Math.abs(at - (T0 + 25 * HOUR))).toBeLessThan(HOUR);
    expect(Date.parse(out.low)).toBeLessThanOrEqual(at);
    expect(Date.parse(out.high)).toBeGreaterThanOrEqual(at);
    expect(out.crossesAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('reads stdin with -, and answers nulls for a series that is not heading to the limit', async () => {
    const flat = ['timestamp,value', ...Array.from({ length: 30 }, (_, i) => `${(T0 + i * 60_000) / 1000},${0.4 + (i % 2) * 0.01}`)].join('\n');
    const r = await fleetmind(['forecast', '--csv', '-', '--limit', '1'], flat);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ crossesAt: null, low: null, high: null });
  });

  it('bad usage exits 2; an unreadable file or a bad row exits 1 with a clear message', async () => {
    expect((await fleetmind(['forecast', '--csv', 'x.csv'])).code).toBe(2);
    expect((await fleetmind(['forecast', '--limit', '1'])).code).toBe(2);
    const notNumber = await fleetmind(['forecast', '--csv', 'x.csv', '--limit', 'full']);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain('--limit must be a number');
    const missing = await fleetmind(['forecast', '--csv', join(home, 'missing.csv'), '--limit', '1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
    const bad = join(home, 'bad.csv');
    // A value with a terminal escape: reported, and shown escaped (never written raw to the terminal).
    writeFileSync(bad, 'timestamp,value\n2026-12-08 00:00:00,0.5\n2026-12-08 00:05:00,\x1b]52;c;aGk=\x07\n');
    const r = await fleetmind(['forecast', '--csv', bad, '--limit', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3: the value .* is not a number/);
    expect(r.stderr).not.toContain('\x1b');
    expect(r.stdout).toBe('');
    const empty = await fleetmind(['forecast', '--csv', '-', '--limit', '1'], 'timestamp,value\n');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no timestamp,value rows');
  });
});
