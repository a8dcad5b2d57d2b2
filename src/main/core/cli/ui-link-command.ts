import type { Command } from 'commander';
import { Core } from '../compose';
import { Credentials, LINK_TTL_MS, readServerRecord, serverConfig } from '../server';
import { UsageError } from './exit';

/**
 * `fleetmind ui-link`: a fresh single-use sign-in link for the web UI. Opening it starts a
 * UI session (a separate random cookie) and the link is dead from then on. The link goes to
 * the server running on this data dir, else to the configured address (or --url).
 */
export function registerUiLinkCommand(program: Command): void {
  program
    .command('ui-link')
    .description(`Print a single-use sign-in link for the web UI (valid ${LINK_TTL_MS / 60_000} minutes)`)
    .option('--url <url>', 'the server address the browser uses (e.g. through an SSH tunnel)')
    .action(async (flags: { url?: string }) => {
      let base = flags.url;
      if (base !== undefined && !/^https?:\/\/[^/]+\/?$/.test(base)) throw new UsageError(`--url takes the server's address such as http://127.0.0.1:8000, got "${base}"`);
      const core = new Core();
      try {
        const dataDir = core.config.paths.dataDir;
        const running = readServerRecord(dataDir);
        if (base === undefined) {
          const settings = core.config.get(serverConfig);
          const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host.includes(':') ? `[${settings.host}]` : settings.host;
          base = running ?? `http://${host}:${settings.port}`;
          if (!running) process.stderr.write(`no Fleetmind server is running on ${dataDir}; the link is for ${base} once one is\n`);
        }
        const code = new Credentials(core.store.credentials, dataDir).createLink();
        process.stdout.write(`${base.replace(/\/$/, '')}/auth/${code}\n`);
      } finally {
        await core.close();
      }
    });
}
