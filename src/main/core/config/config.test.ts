import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Config, ConfigError, defineConfigSlice, resolvePaths } from './index';

const slice = defineConfigSlice({
  name: 'server',
  schema: z.object({ port: z.number().int().default(8000), host: z.string().default('127.0.0.1') }).strict(),
  fromEnv: (env) => ({ port: env.TEST_PORT ? Number(env.TEST_PORT) : undefined }),
});

function withFile(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'fm-config-'));
  writeFileSync(join(dir, 'config.yaml'), text);
  return resolvePaths({ FLEETMIND_HOME: dir });
}

describe('Config', () => {
  it('uses defaults with no file, env or flags', () => {
    const config = new Config({ env: {}, paths: withFile('') });
    expect(config.get(slice)).toEqual({ port: 8000, host: '127.0.0.1' });
  });

  it('layers file < env < flags', () => {
    const paths = withFile('server:\n  port: 9000\n  host: 127.0.0.2\n');
    expect(new Config({ env: {}, paths }).get(slice)).toEqual({ port: 9000, host: '127.0.0.2' });
    expect(new Config({ env: { TEST_PORT: '9100' }, paths }).get(slice).port).toBe(9100);
    expect(new Config({ env: { TEST_PORT: '9100' }, paths, flags: { server: { port: 9200 } } }).get(slice).port).toBe(9200);
  });

  it('names the bad setting', () => {
    const paths = withFile('server:\n  port: eighty\n');
    expect(() => new Config({ env: {}, paths }).get(slice)).toThrow(/server\.port/);
  });

  it('rejects a file that is not YAML', () => {
    expect(() => new Config({ env: {}, paths: withFile('server: [unclosed') })).toThrow(ConfigError);
  });

  it('resolves XDG paths and FLEETMIND_HOME', () => {
    expect(resolvePaths({ HOME: '/home/a' }).dataDir).toBe('/home/a/.local/share/fleetmind');
    expect(resolvePaths({ HOME: '/home/a', XDG_DATA_HOME: '/x' }).dataDir).toBe('/x/fleetmind');
    expect(resolvePaths({ FLEETMIND_HOME: '/fm' }).configFile).toBe('/fm/config.yaml');
  });
});
