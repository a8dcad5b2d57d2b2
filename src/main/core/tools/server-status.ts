import { aspectsInterpret } from './run-aspects';
import { describeDisks, describeFailedUnits, describeMemory, describePorts, describeProcesses, describeSystem, diskAspect, failedUnitsAspect, memoryAspect, portsAspect, processAspect, systemAspect, topBy } from './aspects';
import { hostOnlyInput } from './host-arg';
import { defineHostTool } from './tool';

const TOP = 5;

export const serverStatusTool = defineHostTool({
  name: 'server_status',
  description:
    'Overall state of a host right now: hostname, OS and kernel, uptime, load vs CPUs, memory and swap, disk use per real mount, top processes by CPU and memory, listening ports, failed systemd units.',
  kind: 'read',
  input: hostOnlyInput,
  async run(_args, ctx) {
    const [facts, gathered] = await aspectsInterpret(ctx, {
      system: systemAspect,
      memory: memoryAspect,
      disks: diskAspect,
      processes: processAspect,
      ports: portsAspect,
      failed: failedUnitsAspect,
    });
    const { system, memory, disks, processes, ports, failed } = facts;
    const init = gathered.files['/proc/1/comm']?.trim() ?? null;
    const topCpu = topBy(processes.processes, 'cpuPercent', TOP);
    const topMem = topBy(processes.processes, 'memPercent', TOP);
    const text = [
      describeSystem(system),
      describeMemory(memory),
      describeDisks(disks),
      processes.processes.length > 0
        ? `${describeProcesses('Top processes by CPU (average since start)', topCpu)}\n${describeProcesses('Top processes by memory', topMem)}`
        : `Processes: unavailable (${processes.problem ?? 'no output'})`,
      describePorts(ports),
      describeFailedUnits(failed, init),
    ].join('\n\n');
    const summary = [
      system.hostname ?? ctx.host.name,
      system.load ? `load ${system.load.one.toFixed(2)}/${system.cpus} CPU` : null,
      memory ? `mem ${Math.round((memory.usedBytes / memory.totalBytes) * 100)}%` : null,
      disks.filesystems.length ? `max disk ${Math.max(...disks.filesystems.map((f) => f.usedPercent))}%` : null,
      failed.systemd ? `${failed.units.length} failed units` : null,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      data: { system, memory, disks: disks.filesystems, topCpu, topMemory: topMem, ports: ports.sockets, failedUnits: failed },
      text,
      summary,
    };
  },
});
