import { z } from 'zod';
import { describeProcesses, describeSystem, processAspect, systemAspect, topBy } from './aspects';
import { hostArg } from './host-arg';
import { aspectsInterpret } from './run-aspects';
import { defineHostTool } from './tool';

export const topProcessesTool = defineHostTool({
  name: 'top_processes',
  description: 'Processes using the most CPU (average since each started, as ps reports) or memory, with the load average for context.',
  kind: 'read',
  input: z
    .object({
      host: hostArg,
      sortBy: z.enum(['cpu', 'memory']).optional().describe('Sort order, default cpu'),
      limit: z.number().int().min(1).max(50).optional().describe('How many processes, default 10'),
    })
    .strict(),
  async run(args, ctx) {
    const [{ system, processes }] = await aspectsInterpret(ctx, { system: systemAspect, processes: processAspect });
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
