import { afterEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../shared/protocol';
import type { ExecOptions, ExecOutcome, Executor } from '../fleet';
import { SafetyGate, type ApprovedCommand, type AuditEntryInput, type CommandPolicy } from '../safety';
import { CollectorRunner } from './collector';
import { hostSettings, metricsConfig } from './config';
import { COLLECTOR_SCRIPT } from './script';
import { collectorOutput, syntheticHost } from './testing/synthetic-proc';
import type { SampleBatch } from './types';

const host = (name: string, tags: string[] = []): Host => ({ name, address: '127.0.0.1', port: 22, user: 'root', identityFile: null, tags, jump: null, privacy: 'default', transport: 'ssh' });

function outcome(h: Host, stdout: string, extra: Partial<ExecOutcome> = {}): ExecOutcome {
  return { host: h.name, command: COLLECTOR_SCRIPT, exitCode: 0, signal: null, stdout, stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 5, error: null, ...extra };
}

/** Answers with the host's synthetic files; `hang` never answers until the run is aborted (a hung host). */
function fakeExecutor(h: Host, behaviour: { load?: number; hang?: boolean; fail?: boolean }, seen: ApprovedCommand[]): Executor {
  let uptime = 1000;
  return {
    host: h,
    async run(command: ApprovedCommand, options?: ExecOptions): Promise<ExecOutcome> {
      seen.push(command);
      if (behaviour.hang) {
        return new Promise((resolve) => {
          options?.signal?.addEventListener('abort', () => resolve(outcome(h, '', { exitCode: null, error: { code: 'cancelled', message: 'command cancelled' } })), { once: true });
        });
      }
      if (behaviour.fail) return outcome(h, '', { exitCode: null, error: { code: 'unreachable', message: 'connection refused' } });
      uptime += 15;
      return outcome(h, collectorOutput(syntheticHost({ uptimeSeconds: uptime, load: [behaviour.load ?? 0, 0, 0] })));
    },
    readFiles: async () => ({}),
    openFiles: async () => ({}),
    close: async () => undefined,
  };
}

const allowAll: CommandPolicy = { version: 'test-1', evaluate: () => ({ decision: 'allow', category: 'read_only', reasons: ['test'] }) };
const denyAll: CommandPolicy = { version: 'test-1', evaluate: () => ({ decision: 'deny', category: 'unknown', reasons: ['not here'] }) };

const runners: CollectorRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});

function setup(hosts: Host[], behaviour: Record<string, Parameters<typeof fakeExecutor>[1]>, policy = allowAll, config: Record<string, unknown> = {}) {
  const audit: AuditEntryInput[] = [];
  const sink: SampleBatch[] = [];
  const seen: ApprovedCommand[] = [];
  const cfg = metricsConfig.schema.parse(config);
  const gate = new SafetyGate(policy, null, { record: (e) => audit.push(e) });
  const runner = new CollectorRunner({
    hosts: () => hosts,
    settings: (h) => hostSettings(cfg, h),
    executor: (h) => fakeExecutor(h, behaviour[h.name] ?? {}, seen),
    gate,
    audit: { record: (e) => audit.push(e) },
  });
  runners.push(runner);
  runner.start({ append: (b) => sink.push(b) });
  return { runner, audit, sink, seen };
}

const valueOf = (b: SampleBatch | undefined, name: string) => b?.values.find((v) => v.name === name)?.value;

describe('collector runner', () => {
  it('runs the one fixed script each host was approved for and attributes values to that host', async () => {
    const a = host('web-1');
    const b = host('web-2');
    const { runner, sink, seen } = setup([a, b], { 'web-1': { load: 1.25 }, 'web-2': { load: 3.5 } });
    await runner.collectNow('web-1');
    await runner.collectNow('web-2');
    await runner.collectNow('web-1');
    expect(seen.every((c) => c.command === COLLECTOR_SCRIPT && c.requester === 'metrics:collector')).toBe(true);
    expect(new Set(seen.map((c) => c.host))).toEqual(new Set(['web-1', 'web-2']));
    expect(sink.filter((s) => s.host === 'web-1').map((s) => valueOf(s, 'load1'))).toEqual([1.25, 1.25]);
    expect(sink.filter((s) => s.host === 'web-2').map((s) => valueOf(s, 'load1'))).toEqual([3.5]);
    // The second sample of web-1 has rates; every sample says the run was up.
    expect(valueOf(sink[0], 'context_switches_per_second')).toBeUndefined();
    expect(valueOf(sink[2], 'context_switches_per_second')).toBe(0);
    expect(sink.every((s) => valueOf(s, 'collector_up') === 1)).toBe(true);
    expect(runner.hostStatus('web-1')).toMatchObject({ state: 'ok', runs: 2, failures: 0, lastError: null });
  });

  it('writes one decision per host and policy version and one summary per hour, never a row per run', async () => {
    const a = host('web-1');
    const { runner, audit } = setup([a], { 'web-1': {} });
    for (let i = 0; i < 5; i++) await runner.collectNow('web-1');
    expect(audit.filter((e) => e.kind === 'decision')).toHaveLength(1);
    expect(audit.filter((e) => e.kind === 'execution')).toHaveLength(0);
    await runner.stop();
    const summaries = audit.filter((e) => e.kind === 'execution');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ actor: 'metrics:collector', host: 'web-1', data: { runs: 5, ok: 5, failed: 0, summary: 'partial-hour' } });
  });

  it('reports a host the policy refuses as refused, and runs nothing there', async () => {
    const a = host('web-1');
    const { runner, seen, sink } = setup([a], {}, denyAll);
    const r = await runner.collectNow('web-1');
    expect(r).toMatchObject({ ok: false, error: { code: 'policy_denied' } });
    expect(seen).toHaveLength(0);
    expect(runner.hostStatus('web-1')).toMatchObject({ state: 'refused', lastSuccessAt: null });
    expect(valueOf(sink[0], 'collector_up')).toBe(0);
  });

  it('a hung host times out on its own while another host keeps collecting', async () => {
    const fast = host('fast');
    const hung = host('hung');
    const { runner, sink } = setup([fast, hung], { fast: { load: 2 }, hung: { hang: true } }, allowAll, { intervalSeconds: 1, hosts: { hung: { timeoutSeconds: 1 } } });
    const stuck = runner.collectNow('hung');
    // While the hung run is in flight, the other host answers (no shared queue).
    expect(runner.hostStatus('hung')?.inFlight).toBe(true);
    const r = await runner.collectNow('fast');
    expect(r.ok).toBe(true);
    expect(runner.hostStatus('hung')?.inFlight).toBe(true);
    const h = await stuck;
    expect(h).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(runner.hostStatus('hung')).toMatchObject({ state: 'failing', lastSuccessAt: null, consecutiveFailures: 1 });
    expect(runner.hostStatus('fast')).toMatchObject({ state: 'ok' });
    expect(sink.filter((s) => s.host === 'hung').map((s) => valueOf(s, 'collector_up'))).toEqual([0]);
  });

  it('stop() cancels a run that would otherwise wait out a long timeout', async () => {
    const hung = host('hung');
    const { runner } = setup([hung], { hung: { hang: true } }, allowAll, { intervalSeconds: 600, timeoutSeconds: 600 });
    const stuck = runner.collectNow('hung');
    await runner.stop();
    await expect(stuck).resolves.toMatchObject({ ok: false, error: { code: 'cancelled' } });
  });

  it('keeps the last time a failing host was seen', async () => {
    const a = host('web-1');
    const behaviour: Record<string, { fail?: boolean }> = { 'web-1': {} };
    const { runner } = setup([a], behaviour);
    await runner.collectNow('web-1');
    const seenAt = runner.hostStatus('web-1')?.lastSuccessAt;
    expect(seenAt).not.toBeNull();
    behaviour['web-1']!.fail = true;
    // The executor was made with the old behaviour object: flip it in place.
    await runner.collectNow('web-1');
    expect(runner.hostStatus('web-1')).toMatchObject({ state: 'failing', lastSuccessAt: seenAt, lastError: { code: 'unreachable' }, failures: 1 });
  });

  it('follows the inventory: hosts added, removed or disabled by tag', () => {
    const hosts = [host('web-1'), host('db-1', ['db'])];
    const { runner } = setup(hosts, {}, allowAll, { tags: { db: { enabled: false } } });
    expect(runner.status().map((s) => s.host)).toEqual(['web-1']);
    hosts.push(host('web-2'));
    hosts.splice(0, 1);
    runner.reconcile();
    expect(runner.status().map((s) => s.host)).toEqual(['web-2']);
  });
});

describe('collector settings', () => {
  it('host entries beat tag entries beat defaults; a run never outlives its interval', () => {
    const cfg = metricsConfig.schema.parse({ intervalSeconds: 30, tags: { db: { intervalSeconds: 5 }, web: { intervalSeconds: 60 } }, hosts: { 'db-9': { intervalSeconds: 120, timeoutSeconds: 20 } } });
    expect(hostSettings(cfg, { name: 'x', tags: [] })).toMatchObject({ intervalMs: 30_000, timeoutMs: 10_000, enabled: true });
    expect(hostSettings(cfg, { name: 'db-1', tags: ['db', 'web'] })).toMatchObject({ intervalMs: 5000, timeoutMs: 5000 });
    expect(hostSettings(cfg, { name: 'db-9', tags: ['db'] })).toMatchObject({ intervalMs: 120_000, timeoutMs: 20_000 });
    expect(() => metricsConfig.schema.parse({ retention: { rawHours: 1 } })).toThrow();
    expect(() => metricsConfig.schema.parse({ ignoreInterfaces: '(' })).toThrow();
  });
});
