// Host names that shadow selectors (issue "Safety 3/3", item 3): a host called `all`
// would turn an approval for that one host into one for the whole fleet. The built CLI
// refuses it from `hosts add` and skips it in `hosts import`, saying why.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './helpers/build';

describe('selector words are not host names (built CLI)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fm-hostnames-'));
  const env = { ...process.env, FLEETMIND_HOME: join(root, 'data'), HOME: root };
  const fleetmind = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });

  beforeAll(() => ensureBuilt());
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('hosts add refuses `all` in any case, and the other selector forms', async () => {
    for (const name of ['all', 'ALL', 'All', 'tag:web', 'web-*', '!web-1', 'a,b']) {
      const r = await fleetmind('hosts', 'add', name, '--address', '127.0.0.1');
      expect({ name, refused: r.code !== 0 }).toEqual({ name, refused: true });
    }
    const all = await fleetmind('hosts', 'add', 'all', '--address', '127.0.0.1');
    expect(all.stderr).toMatch(/selector word/);
    const listed = await fleetmind('hosts', 'list', '--json');
    expect(listed.stdout).not.toMatch(/"name":\s*"all"/i);
  });

  it('hosts import skips a Host block named all with a warning and keeps the others', async () => {
    const config = join(root, 'ssh_config');
    writeFileSync(config, 'Host all\n  HostName 127.0.0.1\n\nHost web-1\n  HostName 127.0.0.1\n  Port 2222\n');
    const r = await fleetmind('hosts', 'import', '--ssh-config', config);
    expect(`${r.stdout}${r.stderr}`).toMatch(/all.*selector word/);
    const listed = await fleetmind('hosts', 'list', '--json');
    expect(listed.stdout).toContain('web-1');
    expect(listed.stdout).not.toMatch(/"name":\s*"all"/i);
  });
});
