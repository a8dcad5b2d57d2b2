import { createServer, type Server, type Socket } from 'node:net';

export interface HungHost {
  server: Server;
  port: number;
  sockets: Socket[];
  /** Drops the held connections and stops listening. */
  close(): void;
}

/**
 * A hung host on 127.0.0.1: accepts TCP and never says anything, so an SSH handshake never
 * completes (the peer is alive as far as the kernel is concerned, silent as far as SSH is).
 */
export async function silentServer(): Promise<HungHost> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : 0,
    sockets,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
