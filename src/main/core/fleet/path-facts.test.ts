import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globExpansionScript, parseGlobExpansion } from './path-facts';

const dir = mkdtempSync(join(tmpdir(), 'fm-pathfacts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The script as the executors run it: bash without startup files, C locale (as on SSH hosts). */
function run(script: string): string {
  const out = spawnSync('bash', ['--noprofile', '--norc', '-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' } });
  expect(out.status, out.stderr).toBe(0);
  return out.stdout;
}

describe('the glob expansion script, run by bash', () => {
  writeFileSync(join(dir, 'b.log'), '');
  writeFileSync(join(dir, 'a b.log'), '');
  writeFileSync(join(dir, '.hidden.log'), '');
  writeFileSync(join(dir, 'x\ny.log'), '');
  symlinkSync('/etc/hostname', join(dir, 'link.log'));
  mkdirSync(join(dir, 'many'));
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, 'many', `f${i}`), '');

  it('lists what bash makes of each glob word, resolves each name, and the plain path words', () => {
    const quoted = `'${dir}'`;
    const script = globExpansionScript([`${quoted}/*.log`, `${quoted}/*.none`], [`${dir}/link.log`], 1000);
    const [logs, none, words] = parseGlobExpansion(run(script), 3, 1000);
    // Sorted as bash sorts, dot files left out, a newline inside a name kept.
    expect(logs?.words).toEqual([`${dir}/a b.log`, `${dir}/b.log`, `${dir}/link.log`, `${dir}/x\ny.log`]);
    expect(logs?.resolved?.[2]).toBe('/etc/hostname');
    // No match: the word itself, as bash passes it without nullglob.
    expect(none?.words).toEqual([`${dir}/*.none`]);
    expect(words?.words).toEqual([`${dir}/link.log`]);
    expect(words?.resolved).toEqual(['/etc/hostname']);
  });

  it('past the cap only the count comes back, and the next group still reads right', () => {
    const script = globExpansionScript([`'${dir}/many'/*`, `'${dir}'/b.*`], [], 10);
    const [many, b] = parseGlobExpansion(run(script), 2, 10);
    expect(many).toEqual({ words: null, count: 12, resolved: null });
    expect(b?.words).toEqual([`${dir}/b.log`]);
  });

  it('output cut short: the groups it does not hold whole are unknown', () => {
    const script = globExpansionScript([`'${dir}'/b.*`, `'${dir}/many'/*`], [], 1000);
    const whole = run(script);
    const marker = '\n[fleetmind: output truncated at 100 bytes]\n';
    // Cut among the names of the second group: it is unknown.
    const cut = parseGlobExpansion(`${whole.slice(0, whole.indexOf('/many/f2'))}${marker}`, 2, 1000);
    expect(cut[0]?.words).toEqual([`${dir}/b.log`]);
    expect(cut[1]).toEqual({ words: null, count: 12, resolved: null });
    // Cut among their targets: the names stand, unresolved.
    const late = parseGlobExpansion(`${whole.slice(0, whole.length - 40)}${marker}`, 2, 1000);
    expect(late[1]?.words).toHaveLength(12);
    expect(late[1]?.resolved).toBeNull();
  });
});
