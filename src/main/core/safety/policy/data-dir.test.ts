import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from './load';

// Fleetmind's data dir is a credential like ~/.ssh (issue "Safety 2/3", item 3): the
// operator token, sessions and audit key live there, wherever FLEETMIND_HOME puts it.
describe("the data dir is judged as a credential", () => {
  const policy = loadDefaultPolicy({ dataDir: '/srv/fm data' });
  const decide = async (command: string) => (await policy).evaluate({ command, host: 'localhost', requester: 'test' }).decision;

  it('reading or writing the configured data dir is denied', async () => {
    expect(await decide(`cat '/srv/fm data/api-token'`)).toBe('deny');
    expect(await decide(`head -c 4096 '/srv/fm data/fleetmind.db'`)).toBe('deny');
    expect(await decide(`strings '/srv/fm data/audit.key'`)).toBe('deny');
    expect(await decide(`echo 'rules: []' > '/srv/fm data/policy.yaml'`)).toBe('deny');
    expect(await decide(`cat '/srv/fm data/../fm data/api-token'`)).toBe('deny');
  });

  it('the default location is a credential without any configuration', async () => {
    const plain = await loadDefaultPolicy();
    expect(plain.evaluate({ command: 'cat /root/.local/share/fleetmind/api-token', host: 'localhost', requester: 't' }).decision).toBe('deny');
    expect(plain.evaluate({ command: 'cp /home/ops/.local/share/fleetmind/fleetmind.db /tmp/x', host: 'localhost', requester: 't' }).decision).toBe('deny');
  });

  it('a neighbouring directory is not caught by the rule', async () => {
    expect(await decide(`cat '/srv/fm datax/readme'`)).toBe('allow');
    expect(await decide('cat /srv/fm/readme')).toBe('allow');
  });
});
