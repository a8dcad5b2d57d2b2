import { z } from 'zod';
import { serviceUnitsAspect } from './aspects';
import { hostArg } from './host-arg';
import { aspectsInterpret } from './run-aspects';
import { table } from './format';
import { defineHostTool } from './tool';

export const servicesTool = defineHostTool({
  name: 'services',
  description: 'systemd services on a host: failed ones first, then running ones; optionally filtered by a name substring.',
  kind: 'read',
  input: z.object({ host: hostArg, filter: z.string().max(100).optional().describe('Only units whose name contains this') }).strict(),
  async run(args, ctx) {
    const [{ units }, gathered] = await aspectsInterpret(ctx, { units: serviceUnitsAspect });
    const init = gathered.files['/proc/1/comm']?.trim() ?? 'unknown';
    if (!units.systemd) {
      return {
        data: { systemd: false, init, units: [] },
        text: `Services: systemd is not running on ${ctx.host.name} (PID 1 is ${init}), so there are no systemd units to list. Use top_processes to see what runs.`,
        summary: `no systemd (PID 1: ${init})`,
      };
    }
    if (units.problem) {
      return { data: { systemd: true, init, units: [] }, text: `Services: unavailable (${units.problem})`, summary: 'services unavailable' };
    }
    const filter = args.filter?.toLowerCase();
    const selected = units.units.filter((u) => !filter || u.unit.toLowerCase().includes(filter));
    const failed = selected.filter((u) => u.active === 'failed');
    const running = selected.filter((u) => u.sub === 'running');
    const rows = [...failed, ...running].map((u) => [u.unit, u.active, u.sub, u.description.slice(0, 60)]);
    const text = [
      `Services: ${running.length} running, ${failed.length} failed, ${selected.length} known${filter ? ` matching "${args.filter}"` : ''}.`,
      rows.length ? table(['Unit', 'Active', 'State', 'Description'], rows) : '',
    ].filter(Boolean).join('\n');
    return { data: { systemd: true, init, units: selected }, text, summary: `${running.length} running, ${failed.length} failed` };
  },
});
