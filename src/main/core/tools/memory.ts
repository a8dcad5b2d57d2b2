import { describeMemory, describeProcesses, memoryAspect, processAspect, topBy } from './aspects';
import { hostOnlyInput } from './host-arg';
import { aspectsInterpret } from './run-aspects';
import { defineHostTool } from './tool';

export const memoryTool = defineHostTool({
  name: 'memory',
  description: 'Memory and swap use (as /proc/meminfo reports) and the processes using the most memory.',
  kind: 'read',
  input: hostOnlyInput,
  async run(_args, ctx) {
    const [{ memory, processes }] = await aspectsInterpret(ctx, { memory: memoryAspect, processes: processAspect });
    const top = topBy(processes.processes, 'memPercent', 5);
    const text = [describeMemory(memory), top.length ? describeProcesses('Top processes by memory', top) : ''].filter(Boolean).join('\n\n');
    return {
      data: { memory, topMemory: top },
      text,
      summary: memory ? `${Math.round((memory.usedBytes / memory.totalBytes) * 100)}% of memory used` : 'memory unavailable',
    };
  },
});
