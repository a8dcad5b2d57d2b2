import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/build';

function cruise(target: string) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), target, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('architecture rules (DESIGN.md dependency rules)', () => {
  it('hold for the source tree', () => {
    const result = cruise('src');
    expect(result.output).toMatch(/no dependency violations/);
    expect(result.code).toBe(0);
  });

  it('catch every kind of violation in a fixture tree', () => {
    const result = cruise('test/fixtures/architecture-violations/src');
    expect(result.code).not.toBe(0);
    for (const rule of [
      'core-is-headless',
      'safety-and-privacy-do-no-io',
      'layer-config',
      'core-modules-through-index',
      'nothing-imports-the-electron-shell',
      'renderer-imports-shared-and-itself',
      'shared-imports-nothing-of-ours',
      'no-circular',
    ]) {
      expect(result.output, rule).toContain(rule);
    }
  });
});
