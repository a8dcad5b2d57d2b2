import { describe, expect, it, vi } from 'vitest';
import type { Host } from '../../../shared/protocol';
import { loadDefaultPolicy, SafetyGate, type ApprovedCommand } from '../safety';
import { fanOut } from './fan-out';
import { Fleet } from './fleet';
import type { Inventory } from './inventory';
import type { ExecOptions, ExecOutcome, Executor } from './types';

/**
 * A fleet whose hosts answer from a script instead of SSH: `realpath` prints what each
 * path resolves to on that host (its own file system), anything else succeeds. Everything
 * else (the gate, path facts, judging) is the real code.
 */
class ScriptedFleet extends Fleet {
  readonly ran: { host: string; command: string }[] = [];

  constructor(
    gate: SafetyGate,
    private readonly links: Record<string, Record<string, string>>,
  ) {
    super({ hostKeys: null } as unknown as Inventory, gate);
  }

  override prewarm(): void {
    // no connections to open
  }

  override executor(host: Host): Executor {
    const answer = (command: ApprovedCommand, stdout: string): ExecOutcome => ({
      host: host.name,
      command: command.command,
      exitCode: 0,
      signal: null,
      stdout,
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      durationMs: 1,
      error: null,
    });
    return {
      host,
      run: async (command: ApprovedCommand, _options?: ExecOptions) => {
        const argv = command.argv ?? [];
        if (argv[0] === 'realpath') {
          const words = argv.slice(argv.indexOf('--') + 1);
          return answer(command, words.map((w) => `${this.links[host.name]?.[w] ?? w}\0`).join(''));
        }
        this.ran.push({ host: host.name, command: command.command });
        return answer(command, 'ok\n');
      },
      readFiles: async () => ({}),
      openFiles: async () => ({}),
      close: async () => undefined,
    };
  }
}

const host = (name: string, tags: string[] = []): Host => ({
  name,
  address: '192.0.2.1',
  port: 22,
  user: null,
  identityFile: null,
  tags,
  jump: null,
  privacy: 'default',
  transport: 'ssh',
});

const base = await loadDefaultPolicy();
// Hosts tagged `frozen` ask before reading app configs: a tag rule, so verdicts differ per host.
const policy = base.withOverrides({
  tags: { frozen: { rules: [{ id: 'frozen-reads-ask', program: 'cat', decision: 'ask', category: 'mutating', reason: 'frozen hosts change nothing unreviewed', match: ['cat /srv/app/config'] }] } },
});

/** Counts parses of `text` by the policy's bash parser during `run`. */
async function parsesOf<T>(text: string, run: () => Promise<T>): Promise<{ result: T; parses: number }> {
  const parser = (policy as unknown as { parser: { withTree: (source: string, use: unknown) => unknown } }).parser;
  const spy = vi.spyOn(parser, 'withTree');
  try {
    const result = await run();
    return { result, parses: spy.mock.calls.filter(([source]) => source === text).length };
  } finally {
    spy.mockRestore();
  }
}

describe('fan-out: the text is judged once, each host with its own facts', () => {
  it('parses the command the same number of times for 1 host as for 24', async () => {
    const command = 'cat /srv/app/config | grep -c listen';
    const run = async (count: number, suffix: string) => {
      const gate = new SafetyGate(policy);
      const hosts = Array.from({ length: count }, (_, i) => host(`web-${suffix}-${i}`));
      return parsesOf(command, () => fanOut(new ScriptedFleet(gate, {}), gate, hosts, { command, requester: 'test' }));
    };
    // A fresh text, so the first fan-out pays for its parse and the second shows what N hosts add.
    const one = await run(1, 'a');
    const many = await parsesOf(command.replace('listen', 'server_name'), async () => {
      const gate = new SafetyGate(policy);
      const hosts = Array.from({ length: 24 }, (_, i) => host(`web-b-${i}`));
      return fanOut(new ScriptedFleet(gate, {}), gate, hosts, { command: command.replace('listen', 'server_name'), requester: 'test' });
    });
    expect(one.result.map((r) => r.ok)).toEqual([true]);
    expect(many.result.filter((r) => r.ok)).toHaveLength(24);
    expect(one.parses).toBeGreaterThan(0);
    expect(many.parses).toBe(one.parses);
  });

  it('still gives each host its own verdict: its tags, and what its paths resolve to there', async () => {
    const command = 'cat /srv/app/config';
    const gate = new SafetyGate(policy);
    // db-2's config is a link to a credential; the frozen hosts' tag asks; the others read it.
    const fleet = new ScriptedFleet(gate, { 'db-2': { '/srv/app/config': '/etc/shadow' } });
    const hosts = [host('web-1'), host('web-2', ['frozen']), host('db-1'), host('db-2'), host('web-3', ['frozen']), host('web-4')];
    const { result, parses } = await parsesOf(command, () => fanOut(fleet, gate, hosts, { command, requester: 'test' }));
    const byHost = Object.fromEntries(result.map((r) => [r.host, r.ok ? 'ran' : r.error?.code]));
    expect(byHost).toEqual({ 'web-1': 'ran', 'web-2': 'approval_required', 'db-1': 'ran', 'db-2': 'policy_denied', 'web-3': 'approval_required', 'web-4': 'ran' });
    expect(fleet.ran.map((r) => r.host).sort()).toEqual(['db-1', 'web-1', 'web-4']);
    expect(result.find((r) => r.host === 'db-2')?.error?.message).toMatch(/\/etc\/shadow/);
    // Six hosts, two sets of rule layers, one link: still a fixed number of parses of the text.
    expect(parses).toBeLessThanOrEqual(2);
  });

  it('keeps judging new texts correctly after many others (the memo is bounded)', async () => {
    const gate = new SafetyGate(policy);
    for (let i = 0; i < 300; i++) gate.evaluate({ command: `echo ${i}`, host: 'h', requester: 'test' });
    expect(gate.evaluate({ command: 'rm -rf /', host: 'h', requester: 'test' }).decision).toBe('deny');
    expect(gate.evaluate({ command: 'echo 1', host: 'h', requester: 'test' }).decision).toBe('allow');
    expect(gate.evaluate({ command: 'cat /srv/app/config', host: 'h', requester: 'test', tags: ['frozen'] }).decision).toBe('ask');
    expect(gate.evaluate({ command: 'cat /srv/app/config', host: 'h', requester: 'test' }).decision).toBe('allow');
  });
});
