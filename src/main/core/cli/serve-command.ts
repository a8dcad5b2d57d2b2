import { join } from 'node:path';
import type { Command } from 'commander';
import { Core } from '../compose';
import { cliName, findPackageRoot, resolvePaths } from '../config';
import { createHttpServer, Credentials, LINK_TTL_MS, removeServerRecord, serverConfig, writeServerRecord } from '../server';
import { policyFileStamp } from './cli-protocol';
import { listenCliSocket } from './cli-socket';
import { CliFailure, UsageError } from './exit';

export interface ServeFlags {
  host?: string;
  port?: string;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${value}"`);
  return port;
}

/** Starts the headless server; resolves once listening, with a stop function. */
export async function startServer(flags: ServeFlags): Promise<{ url: string; uiUrl: string; stop: () => Promise<void> }> {
  // Stamped before the core reads its policy: a change made while it loads counts as a change.
  const policyStamp = policyFileStamp(resolvePaths().dataDir);
  const core = new Core({ flags: { server: { host: flags.host, port: parsePort(flags.port) } } });
  const settings = core.config.get(serverConfig);
  const dataDir = core.config.paths.dataDir;
  const credentials = new Credentials(core.store.credentials, dataDir);
  // The operator token stays in its 0600 file: never printed, never in a URL or a cookie.
  credentials.operator.ensure();
  const root = findPackageRoot(import.meta.url);
  const app = await createHttpServer(core, {
    host: settings.host,
    port: settings.port,
    credentials,
    rendererDir: root ? join(root, 'out', 'renderer') : null,
    allowedHosts: settings.allowedHosts,
    logger: core.logger,
  });
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    await core.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliFailure(
        `port ${settings.port} on ${settings.host} is already in use (is Fleetmind already running?). Stop the other process or choose another port with --port.`,
      );
    }
    if (code === 'EACCES') throw new CliFailure(`not allowed to listen on ${settings.host}:${settings.port}; choose a port above 1023`);
    if (code === 'EADDRNOTAVAIL') throw new CliFailure(`${settings.host} is not an address of this machine`);
    throw new CliFailure(`could not start the server: ${(err as Error).message}`);
  }
  let cliSocket: Awaited<ReturnType<typeof listenCliSocket>> = null;
  // A policy that cannot load (a broken rule in the user's policy.yaml) is fatal: nothing could be judged.
  core.ready().catch(async (err: unknown) => {
    process.stderr.write(`fleetmind: the safety policy could not be loaded, so nothing can run: ${(err as Error).message}\n`);
    removeServerRecord(dataDir);
    await cliSocket?.close();
    await app.close();
    await core.close();
    process.exit(1);
  });
  const address = app.server.address();
  const port = address && typeof address === 'object' ? address.port : settings.port;
  const shownHost = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${shownHost === '0.0.0.0' || shownHost === '[::]' ? '127.0.0.1' : shownHost}:${port}`;
  // The thin client's way in: exec, approval decisions and settings changes from the CLI run here.
  try {
    // Only the operator token: scoped tokens exist for other programs and never approve.
    cliSocket = await listenCliSocket(core, dataDir, policyStamp, (token) => credentials.operator.matches(token));
    if (!cliSocket) process.stderr.write('fleetmind: another server answers on this data dir\'s CLI socket; CLI commands will go to it\n');
  } catch (err) {
    process.stderr.write(`fleetmind: the CLI socket is off (CLI commands run locally): ${(err as Error).message}\n`);
  }
  // Metrics are collected while the server runs (each host on its own schedule; runs wait for the policy).
  core.startMetrics();
  // Retention (`retention:` in config.yaml) is applied at start and then periodically.
  core.startRetentionSweep();
  // MCP servers (mcpServers in config.yaml) connect in the background; status and errors show on /api/mcp-servers.
  void core.startMcp();
  writeServerRecord(dataDir, url);
  return {
    url,
    // A single-use sign-in link; `fleetmind ui-link` makes more.
    uiUrl: `${url}/auth/${credentials.createLink()}`,
    stop: async () => {
      removeServerRecord(dataDir);
      await cliSocket?.close();
      await app.close();
      await core.close();
    },
  };
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the headless server: HTTP API on /api and the web UI (loopback only by default)')
    .option('--host <address>', 'address to bind (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8000; 0 picks a free one)')
    .action(async (flags: ServeFlags) => {
      const server = await startServer(flags);
      process.stderr.write(
        [
          'Fleetmind is running (headless).',
          `  UI:  ${server.uiUrl}`,
          `       (a single-use sign-in link, valid for ${LINK_TTL_MS / 60_000} minutes; \`${cliName()} ui-link\` makes a new one)`,
          `  API: curl -X POST ${server.url}/api/chat -H "Content-Type: application/json" -d '{"message": "Show server status"}'`,
          '       (served without a token to this OS user only; others send Authorization: Bearer <token from DATA_DIR/api-token>)',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      // Machine-readable line for scripts and tests that start the server.
      process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url, uiUrl: server.uiUrl })}\n`);
      await new Promise<void>((resolve) => {
        const shutdown = () => {
          server.stop().finally(resolve);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });
}
