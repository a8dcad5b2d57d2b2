import { z } from 'zod';
import { commandOutput, describePorts, portsAspect } from './aspects';
import { hostOnlyInput } from './host-arg';
import { aspectsInterpret } from './run-aspects';
import { table } from './format';
import { defineHostTool } from './tool';

const IpAddrSchema = z.array(
  z.object({
    ifname: z.string(),
    operstate: z.string().optional(),
    address: z.string().optional(),
    addr_info: z.array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number() })).default([]),
  }).loose(),
);
const IpRouteSchema = z.array(z.object({ dst: z.string(), gateway: z.string().optional(), dev: z.string().optional() }).loose());

function parseJson<T>(schema: z.ZodType<T>, text: string | null): T | null {
  if (!text) return null;
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

export const networkInfoTool = defineHostTool({
  name: 'network_info',
  description: 'Network interfaces with their addresses and state, routes (default gateway), and listening TCP/UDP ports.',
  kind: 'read',
  input: hostOnlyInput,
  async run(_args, ctx) {
    const [{ ports }, gathered] = await aspectsInterpret(ctx, {
      ports: portsAspect,
      ip: { commands: { ipAddr: ['ip', '-j', 'addr'], ipRoute: ['ip', '-j', 'route'] }, interpret: () => null },
    });
    const addr = parseJson(IpAddrSchema, commandOutput(gathered, 'ipAddr').stdout);
    const routes = parseJson(IpRouteSchema, commandOutput(gathered, 'ipRoute').stdout);
    const interfaces = (addr ?? []).map((i) => ({
      name: i.ifname,
      state: i.operstate ?? 'UNKNOWN',
      mac: i.address ?? null,
      addresses: i.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
    }));
    const defaultRoute = routes?.find((r) => r.dst === 'default') ?? null;
    const text = [
      interfaces.length
        ? `Interfaces:\n${table(['Name', 'State', 'Addresses'], interfaces.map((i) => [i.name, i.state, i.addresses.join(', ') || '-']))}`
        : `Interfaces: unavailable (${commandOutput(gathered, 'ipAddr').problem ?? 'no output'})`,
      defaultRoute ? `Default route: via ${defaultRoute.gateway ?? 'direct'} dev ${defaultRoute.dev ?? '?'}` : 'Default route: none',
      describePorts(ports),
    ].join('\n\n');
    return {
      data: { interfaces, routes: routes ?? [], defaultRoute, listening: ports.sockets },
      text,
      summary: `${interfaces.length} interfaces, ${ports.sockets.length} listening sockets`,
    };
  },
});
