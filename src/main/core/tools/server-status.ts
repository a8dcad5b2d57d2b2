import { HostConnectionError, isHostConnectionError, type HostErrorCode } from '../fleet';
import { describeDiagnosis, diagnose, type HostDiagnosis, type HostFigures } from '../metrics';
import { aspectsInterpret } from './run-aspects';
import { describeDisks, describeFailedUnits, describeMemory, describePorts, describeProcesses, describeSystem, diskAspect, failedUnitsAspect, memoryAspect, portsAspect, processAspect, systemAspect, topBy, type DiskFacts, type SystemFacts } from './aspects';
import { hostOnlyInput } from './host-arg';
import { defineHostTool, type HostToolContext } from './tool';
import type { MemoryInfo } from './parse/proc';
import type { ProcessInfo } from './parse/commands';

const TOP = 5;
/** The per-host bound when the collector does not say (its default timeout). */
const DEFAULT_TIMEOUT_MS = 10_000;
const MIN_TIMEOUT_MS = 5_000;
/** The shells Fleetmind's SSH executor starts on a host around each command (fleet/ssh/remote-script). */
const REMOTE_WRAPPER = /^\/bin\/sh -c (IFS= read -r s|d=\$\(mktemp -d "\$\{TMPDIR:-\/tmp\}\/fleetmind\.XXXXXX"\))/;

/** Rejects with a `timeout` host error when `p` takes longer than the host's timeout (and aborts `controller`). */
function bounded<T>(p: Promise<T>, host: string, timeoutMs: number, controller?: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller?.abort();
      reject(new HostConnectionError(host, 'timeout', `${host} did not answer in time (timed out)`));
    }, timeoutMs);
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Figures from this live read alone (no CPU busy or per-process CPU: those need two samples). */
function liveFigures(host: string, system: SystemFacts, memory: MemoryInfo | null, disks: DiskFacts): HostFigures {
  return {
    host,
    state: 'ok',
    at: Date.now(),
    source: null,
    baseline: null,
    processes: null,
    cpuWindow: null,
    figures: {
      cpuBusy: null,
      cpuIowait: null,
      cpuSteal: null,
      load1: system.load?.one ?? null,
      cpus: system.cpus || null,
      memTotalBytes: memory?.totalBytes ?? null,
      memAvailableBytes: memory?.availableBytes ?? null,
      swapTotalBytes: memory?.swapTotalBytes ?? null,
      swapUsedBytes: memory?.swapUsedBytes ?? null,
      swapGrowthBytesPerSecond: null,
      psiCpuSome: null,
      psiIoSome: null,
      psiMemorySome: null,
      psiMemoryFull: null,
      failedUnits: null,
      disks: disks.filesystems.map((f) => ({ mount: f.mount, usedRatio: f.usedPercent / 100 })),
      devices: [],
    },
  };
}

export const serverStatusTool = defineHostTool({
  name: 'server_status',
  description:
    'Overall state of a host right now with a diagnosis: findings with severity from the collected current figures (CPU busy, iowait, steal, pressure (PSI), load vs cores, memory available and swapping, disk fullness and utilisation) and what changed against an hour ago; ' +
    'top processes by CURRENT CPU (Fleetmind\'s own probes set apart); hostname, OS and kernel, uptime, memory and swap, disk use per real mount, listening ports, failed systemd units. ' +
    'With several hosts, each is bounded by its timeout (a hung host is reported as timed out).',
  kind: 'read',
  input: hostOnlyInput,
  async run(_args, ctx) {
    const name = ctx.host.name;
    const metrics = ctx.metrics;
    const status = metrics?.hostStatus(name) ?? null;
    // One deadline for the whole answer about this host: a hung host is reported as timed out, never waited for.
    // A live read runs several commands, so it gets at least MIN_TIMEOUT_MS even where the collector's own bound is shorter.
    const timeoutMs = Math.max(status?.timeoutMs ?? DEFAULT_TIMEOUT_MS, MIN_TIMEOUT_MS);
    const deadline = Date.now() + timeoutMs;
    const stored = metrics?.figures?.(name) ?? null;
    // No current figures from the collector (just started, or not collected yet): one run of its script now, through the
    // gate. Before the live read, not beside it, so the read's own commands are not in the sample.
    let oneShot: HostFigures | null = null;
    let oneShotError: unknown = null;
    if (!stored && metrics?.sampleNow) {
      try {
        oneShot = await bounded(metrics.sampleNow(name), name, timeoutMs);
      } catch (err) {
        oneShotError = err;
      }
    }
    const controller = new AbortController();
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, controller.signal]) : controller.signal;
    const liveCtx: HostToolContext = { ...ctx, gather: (spec) => ctx.gather({ ...spec, signal }) };
    let live: Awaited<ReturnType<typeof gatherLive>>;
    try {
      // A one-shot that timed out already spent the budget: the host is hung, say so now.
      if (isHostConnectionError(oneShotError) && oneShotError.code === 'timeout') throw oneShotError;
      live = await bounded(gatherLive(liveCtx), name, Math.max(1, deadline - Date.now()), controller);
    } catch (err) {
      // Unreachable or timed out: say when the collector last heard from it.
      const seen = status ? `; last seen ${status.lastSuccessAt ?? 'never'}` : '';
      if (isHostConnectionError(err)) throw new HostConnectionError(name, err.code as HostErrorCode, `${err.message}${seen}`, err.hostKey);
      throw err;
    }
    const [facts, gathered] = live;
    const { system, memory, disks, processes, ports, failed } = facts;
    const init = gathered.files['/proc/1/comm']?.trim() ?? null;
    const figures = stored ?? oneShot ?? liveFigures(name, system, memory, disks);
    const diagnosis: HostDiagnosis = diagnose(figures, TOP);
    const current = figures.processes !== null;
    // Without collected samples, ps's CPU is an average since each process started: said so, and never used for findings.
    // The commands this very read ran (ss, systemctl, df, ps) are left out: their "average" is their whole short life.
    const own = new Set(Object.values({ ...systemAspect.commands, ...portsAspect.commands, ...failedUnitsAspect.commands, ...diskAspect.commands }).map((argv) => argv[0]));
    // Fleetmind's own processes stay out of ps's tables too: the collector's probes (its sample marks them,
    // the SSH session included) and the remote wrappers this read runs in. Without a sample, the login
    // user's non-interactive SSH sessions are taken for Fleetmind's pooled connection.
    const probePids = new Set((figures.processes ?? []).filter((p) => p.probe).map((p) => p.pid));
    const ownSession = !current && ctx.host.user ? `sshd: ${ctx.host.user}@notty` : null;
    const isOwn = (p: ProcessInfo) => own.has(p.command) || probePids.has(p.pid) || REMOTE_WRAPPER.test(p.args) || (ownSession !== null && p.args.startsWith(ownSession));
    const psRows = processes.processes.filter((p) => !isOwn(p));
    const topCpu: ProcessInfo[] = current
      ? diagnosis.topProcesses.map((p) => ({ pid: p.pid, user: '', cpuPercent: Math.round(p.cpuCores * 1000) / 10, memPercent: 0, rssBytes: p.rssBytes, command: p.comm, args: p.comm }))
      : topBy(psRows, 'cpuPercent', TOP);
    const topMem = topBy(psRows, 'memPercent', TOP);
    const source = figures.source === 'collector' ? 'collected figures' : figures.source === 'one-shot' ? 'a one-shot run of the collector script' : 'this read only (no collected figures: CPU busy and current per-process CPU unavailable)';
    const text = [
      describeSystem(system),
      `Diagnosis (from ${source}):\n${describeDiagnosis(diagnosis)}`,
      describeMemory(memory),
      describeDisks(disks),
      [
        current ? null : psRows.length ? describeProcesses('Top processes by CPU (average since each started, as ps reports: not current)', topCpu) : `Processes: unavailable (${processes.problem ?? 'no output'})`,
        psRows.length ? describeProcesses('Top processes by memory', topMem) : null,
      ]
        .filter(Boolean)
        .join('\n'),
      describePorts(ports),
      describeFailedUnits(failed, init),
    ]
      .filter(Boolean)
      .join('\n\n');
    const summary = [
      system.hostname ?? name,
      diagnosis.row.cpu !== '-' ? `CPU ${diagnosis.row.cpu}` : null,
      system.load ? `load ${system.load.one.toFixed(2)}/${system.cpus} CPU` : null,
      memory ? `mem ${Math.round((memory.usedBytes / memory.totalBytes) * 100)}%` : null,
      disks.filesystems.length ? `max disk ${Math.max(...disks.filesystems.map((f) => f.usedPercent))}%` : null,
      failed.systemd ? `${failed.units.length} failed units` : null,
      diagnosis.findings[0] ? `${diagnosis.findings[0].severity}: ${diagnosis.findings[0].text}` : null,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      data: { system, memory, disks: disks.filesystems, topCpu, topMemory: topMem, ports: ports.sockets, failedUnits: failed, diagnosis, figuresSource: figures.source ?? 'live' },
      text,
      summary,
    };
  },
});

function gatherLive(ctx: HostToolContext) {
  return aspectsInterpret(ctx, {
    system: systemAspect,
    memory: memoryAspect,
    disks: diskAspect,
    processes: processAspect,
    ports: portsAspect,
    failed: failedUnitsAspect,
  });
}
