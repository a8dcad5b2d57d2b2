import { describeDisks, diskAspect } from './aspects';
import { hostOnlyInput } from './host-arg';
import { aspectsInterpret } from './run-aspects';
import { defineHostTool } from './tool';

export const diskUsageTool = defineHostTool({
  name: 'disk_usage',
  description: 'Disk space per real mounted filesystem (pseudo filesystems left out): size, used, free, use%.',
  kind: 'read',
  input: hostOnlyInput,
  async run(_args, ctx) {
    const [{ disks }] = await aspectsInterpret(ctx, { disks: diskAspect });
    const fullest = [...disks.filesystems].sort((a, b) => b.usedPercent - a.usedPercent)[0];
    return {
      data: disks,
      text: describeDisks(disks),
      summary: fullest ? `${disks.filesystems.length} filesystems, fullest ${fullest.mount} at ${fullest.usedPercent}%` : 'no filesystems',
    };
  },
});
