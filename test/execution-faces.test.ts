// What runs is what was judged, through the built CLI and the real policy (issue
// "Safety 1/3"): a command the policy allows because bash reads it as harmless must not
// run a payload under another shell, and the server's or CLI's own environment
// (OPENAI_API_KEY, tokens) never reaches a command, on this machine or over SSH.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecResultLineSchema } from '../src/shared/protocol';
import { startSshdHosts, type SshdFleet } from './fixtures/sshd-hosts/index';
import { ensureBuilt, repoRoot } from './helpers/build';

const isRoot = process.getuid?.() === 0;

describe('exec through the built CLI runs exactly what the policy judged', () => {
  const root = mkdtempSync(join(tmpdir(), 'fm-exec-faces-'));
  const scratch = join(root, 'scratch');
  let fx: SshdFleet | null = null;
  const env: NodeJS.ProcessEnv = { ...process.env, FLEETMIND_HOME: join(root, 'data'), HOME: join(root, 'home'), OPENAI_API_KEY: 'sk-cli-secret-4242', FLEETMIND_TEST_TOKEN: 'tok-4242' };
  delete env.SSH_AUTH_SOCK;
  const fleetmind = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });
  const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => ExecResultLineSchema.parse(JSON.parse(l)));

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(join(root, 'home', '.ssh'), { recursive: true });
    mkdirSync(scratch, { recursive: true });
    chmodSync(scratch, 0o777);
    if (isRoot) {
      fx = await startSshdHosts({ count: 1, names: ['judged-1'] });
      const { copyFileSync } = await import('node:fs');
      copyFileSync(fx.knownHostsPath, join(root, 'home', '.ssh', 'known_hosts'));
      const imported = await fleetmind('hosts', 'import', '--ssh-config', fx.sshConfigPath);
      expect(imported.code).toBe(0);
    }
  }, 120_000);

  afterAll(async () => {
    await fx?.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  const targets = () => ['localhost', ...(fx ? ['judged-1'] : [])];

  it('the policy allows text that bash reads as one harmless echo, and no payload runs on any host', async () => {
    for (const [i, text] of [`true | echo $'\\' ; touch ${scratch}/pwned-a ; echo \\' #'`, `echo &>/dev/null touch ${scratch}/pwned-b`].entries()) {
      const check = await new Promise<string>((resolve) => {
        const child = execFile(process.execPath, [join(repoRoot, 'bin', 'fleetmind'), 'policy', 'check', '--jsonl'], { env, encoding: 'utf8' }, (_e, stdout) => resolve(stdout));
        child.stdin?.end(`${JSON.stringify({ command: text })}\n`);
      });
      expect({ i, decision: JSON.parse(check).decision }).toEqual({ i, decision: 'allow' });
      const out = await fleetmind('exec', '--hosts', targets().join(','), '--json', '--', text);
      const results = lines(out.stdout);
      expect(results.map((r) => [r.host, r.ok, r.error]).sort()).toEqual(targets().map((h) => [h, true, null]).sort());
    }
    expect(readdirSync(scratch)).toEqual([]);
  });

  it("the CLI's environment (API keys, tokens) never reaches a command", async () => {
    for (const command of [['env'], ['printenv'], ['sh', '-c', 'env']]) {
      const out = await fleetmind('exec', '--hosts', targets().join(','), '--json', '--', ...command);
      for (const result of lines(out.stdout)) {
        if (result.error?.code === 'approval_required' || result.error?.code === 'policy_denied') continue;
        expect(result.stdout).not.toContain('sk-cli-secret-4242');
        expect(result.stdout).not.toContain('tok-4242');
        expect(result.stdout).toContain('TERM=dumb');
      }
    }
    expect(existsSync(join(scratch, 'x'))).toBe(false);
  });
});
