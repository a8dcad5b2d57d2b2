import { describe, expect, it } from 'vitest';
import type { Host } from '../../../shared/protocol';
import type { GatherResult } from '../fleet';
import type { HostDiagnosis, HostFigures, ProcessCpu } from '../metrics';
import { serverStatusTool } from './server-status';
import { topProcessesTool } from './top-processes';
import type { HostToolContext, MetricsPort } from './tool';

const host: Host = { name: 'web-1', address: '10.0.0.1', port: 22, user: 'ops', identityFile: null, tags: [], jump: null, privacy: 'default', transport: 'ssh' };

const ran = (stdout: string) => ({ status: 'ran' as const, outcome: { host: 'web-1', command: '', exitCode: 0, signal: null, stdout, stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, error: null } });

/** What a live read of the host returns; ps says `ss` averaged 100 % (the lifetime figure of the issue). */
function gathered(): GatherResult {
  return {
    host,
    files: {
      '/proc/sys/kernel/hostname': 'web-1\n',
      '/proc/loadavg': '7.90 6.00 4.00 3/120 999\n',
      '/proc/uptime': '1000.00 1500.00\n',
      '/proc/cpuinfo': 'processor\t: 0\nprocessor\t: 1\n',
      '/proc/meminfo': 'MemTotal:        8000000 kB\nMemFree:  1000000 kB\nMemAvailable:    6000000 kB\nCached: 100 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n',
      '/proc/1/comm': 'systemd\n',
    },
    commands: {
      ps: ran(' 4242 root 100.0 0.1 4000 ss ss -H -tulnp\n  900 root  0.1 0.1 9000 sshd sshd: ops@notty\n  901 ops 0.0 0.0 1000 sh /bin/sh -c IFS= read -r s || exit 125; s=$(x)\n  555 app 35.0 2.0 50000 java java -jar app.jar\n'),
      df: ran('Filesystem Type 1-blocks Used Available Capacity Mounted on\n/dev/sda1 ext4 1000 400 600 40% /\n'),
      ss: ran(''),
      failedUnits: ran(''),
    },
  };
}

const proc = (pid: number, comm: string, cpuCores: number, probe = false): ProcessCpu => ({ pid, ppid: 1, comm, state: 'R', cpuCores, rssBytes: 1 << 20, probe, sampledSeconds: 15 });

function figures(over: Partial<HostFigures> = {}): HostFigures {
  return {
    host: 'web-1',
    state: 'ok',
    at: Date.now(),
    source: 'collector',
    baseline: { cpuBusy: 0.12 },
    cpuWindow: 'interval',
    processes: [proc(4242, 'ss', 1, true), proc(900, 'sshd', 0.2, true), proc(77, 'stress', 1.8)],
    figures: {
      cpuBusy: 0.94, cpuIowait: 0.01, cpuSteal: 0, load1: 7.9, cpus: 2, memTotalBytes: 8e9, memAvailableBytes: 6e9, swapTotalBytes: 0, swapUsedBytes: 0,
      swapGrowthBytesPerSecond: 0, psiCpuSome: 0.3, psiIoSome: 0, psiMemorySome: 0, psiMemoryFull: 0, failedUnits: 0, disks: [{ mount: '/', usedRatio: 0.4 }], devices: [],
    },
    ...over,
  };
}

function ctx(metrics: Partial<MetricsPort>, gather: HostToolContext['gather'] = async () => gathered()): HostToolContext {
  const port: MetricsPort = { query: () => ({ ok: false, code: 'not_found', message: 'none' }), listSeries: () => [], hostStatus: () => null, ...metrics };
  return { host, gather, metrics: port };
}

describe('server_status diagnoses from collected figures', () => {
  it('names processes by current CPU, sets Fleetmind probes apart and says what changed', async () => {
    const out = await serverStatusTool.run({}, ctx({ figures: () => figures() }));
    const d = (out.data as { diagnosis: HostDiagnosis }).diagnosis;
    expect(d.findings.map((f) => f.text)).toEqual(expect.arrayContaining(['CPU busy 94 % (was 12 % an hour ago); busiest: stress (pid 77) 1.8 cores', 'load 7.9 on 2 cores']));
    expect(out.text).toMatch(/Top processes by CPU \(current/);
    expect(out.text).not.toMatch(/average since/);
    const cpuTable = out.text.split('Top processes by CPU')[1]!.split("Fleetmind's own probes")[0]!;
    expect(cpuTable).toMatch(/stress/);
    expect(cpuTable).not.toMatch(/\bss\b/);
    // ps's tables leave out the collector's probes and the executor's wrapper shells.
    expect(out.text).not.toMatch(/sshd: ops@notty|IFS= read -r s/);
    expect(out.text.split('\n')[0]).toBe('Host: web-1');
    expect(out.summary).toMatch(/critical: /);
  });

  it('without collected figures, runs the collector once (one-shot) instead of using ps averages', async () => {
    let asked = 0;
    const out = await serverStatusTool.run({}, ctx({ figures: () => null, sampleNow: async () => (asked++, figures({ source: 'one-shot' })) }));
    expect(asked).toBe(1);
    expect(out.text).toMatch(/Diagnosis \(from a one-shot run of the collector script\)/);
    expect((out.data as { figuresSource: string }).figuresSource).toBe('one-shot');
  });

  it('with nothing collected at all, says the CPU figures are unavailable and never takes ps averages for findings', async () => {
    const out = await serverStatusTool.run({}, ctx({}));
    const d = (out.data as { diagnosis: HostDiagnosis }).diagnosis;
    expect(d.findings.map((f) => f.kind)).toEqual(['load']);
    expect(out.text).toMatch(/CPU busy and current per-process CPU unavailable/);
    // ps's lifetime figure is labelled as such, and the read's own `ss` is not in it.
    expect(out.text).toMatch(/average since each started, as ps reports: not current/);
    expect(out.text).toMatch(/java -jar app\.jar/);
    expect(out.text).not.toMatch(/\bss -H|sshd: ops@notty/);
  });

  it('a host that never answers is reported as timed out, not waited for', async () => {
    const never = () => new Promise<GatherResult>(() => undefined);
    const run = serverStatusTool.run({}, ctx({ figures: () => null, hostStatus: () => ({ timeoutMs: 10 }) as never }, never));
    await expect(run).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(/timed out/) });
  }, 30_000);
});

describe('top_processes by CPU', () => {
  it('uses the collected current CPU with probes apart when there is a sample', async () => {
    const out = await topProcessesTool.run({}, ctx({ figures: () => figures() }));
    expect(out.text).toMatch(/Top processes by CPU \(current/);
    expect((out.data as { processes: { command: string }[] }).processes.map((p) => p.command)).toEqual(['stress']);
    expect(out.summary).toBe('top: stress (180.0% now)');
  });

  it('says ps averages are averages without a sample', async () => {
    const out = await topProcessesTool.run({}, ctx({}));
    expect(out.text).toMatch(/average since start/);
  });
});
