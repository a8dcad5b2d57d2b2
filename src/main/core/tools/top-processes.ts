import { z } from 'zod';
import { describeProcesses, describeSystem, processAspect, systemAspect, topBy } from './aspects';
import { hostArg } from './host-arg';
import { aspectsInterpret } from './run-aspects';
import { defineHostTool, type ToolOutput } from './tool';
import { describeDiagnosis, diagnose } from '../metrics';

export const topProcessesTool = defineHostTool({
  name: 'top_processes',
  description: 'Processes using the most CPU (current, over the last collection interval, with Fleetmind\'s own probes set apart, where metrics are collected; else the average since each started, as ps reports) or memory, with the load average for context.',
  kind: 'read',
  input: z
    .object({
      host: hostArg,
      sortBy: z.enum(['cpu', 'memory']).optional().describe('Sort order, default cpu'),
      limit: z.number().int().min(1).max(50).optional().describe('How many processes, default 10'),
    })
    .strict(),
  async run(args, ctx): Promise<ToolOutput> {
    const [{ system, processes }] = await aspectsInterpret(ctx, { system: systemAspect, processes: processAspect });
    // By CPU, the collector's current figures when it has them (ps's %CPU is an average since each process started).
    const collected = args.sortBy === 'memory' ? null : ctx.metrics?.figures?.(ctx.host.name);
    if (collected?.processes && collected.cpuWindow === 'interval') {
      const d = diagnose(collected, args.limit ?? 10);
      const load = describeSystem(system).split('\n').filter((l) => l.startsWith('Load')).join('\n');
      const rows = d.topProcesses.map((p) => ({ pid: p.pid, command: p.comm, cpuPercent: Math.round(p.cpuCores * 1000) / 10, rssBytes: p.rssBytes }));
      const cpuText = describeDiagnosis(d).split('\n').filter((l, i, all) => i >= all.findIndex((x) => x.startsWith('Top processes by CPU'))).join('\n');
      return {
        data: { load: system.load, cpus: system.cpus, processes: rows, total: collected.processes.length, cpuWindow: 'interval', probes: d.probes.map((p) => ({ pid: p.pid, command: p.comm, cpuPercent: Math.round(p.cpuCores * 1000) / 10 })) },
        text: `${load}\n\n${rows.length ? cpuText : 'No process used measurable CPU over the last collection interval.'}`,
        summary: rows[0] ? `top: ${rows[0].command} (${rows[0].cpuPercent.toFixed(1)}% now)` : 'no busy processes',
      };
    }
    const key = args.sortBy === 'memory' ? 'memPercent' : 'cpuPercent';
    const top = topBy(processes.processes, key, args.limit ?? 10);
    const title = `Top processes by ${args.sortBy === 'memory' ? 'memory' : 'CPU (average since start)'} of ${processes.processes.length}`;
    const text = processes.processes.length
      ? `${describeSystem(system).split('\n').filter((l) => l.startsWith('Load')).join('\n')}\n\n${describeProcesses(title, top)}`
      : `Processes: unavailable (${processes.problem ?? 'no output'})`;
    return {
      data: { load: system.load, cpus: system.cpus, processes: top, total: processes.processes.length },
      text,
      summary: top[0] ? `top: ${top[0].command} (${top[0][key].toFixed(1)}%)` : 'no processes',
    };
  },
});
