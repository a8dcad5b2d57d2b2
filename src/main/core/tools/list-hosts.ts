import { z } from 'zod';
import { table } from './format';
import { hostArg } from './host-arg';
import { defineFleetTool } from './tool';

export const listHostsTool = defineFleetTool({
  name: 'list_hosts',
  description: 'The fleet inventory: host names, addresses, users, tags and how each is reached.',
  kind: 'read',
  input: z.object({ host: hostArg }).strict(),
  async run(args, ctx) {
    const hosts = ctx.listHosts(args.host);
    const rows = hosts.map((h) => [h.name, h.transport === 'local' ? 'this machine' : `${h.user ? `${h.user}@` : ''}${h.address}:${h.port}`, h.tags.join(',') || '-', h.transport]);
    return {
      data: { hosts },
      text: `Fleet (${hosts.length} host${hosts.length === 1 ? '' : 's'}):\n${table(['Name', 'Address', 'Tags', 'Via'], rows)}`,
      summary: `${hosts.length} hosts`,
    };
  },
});
