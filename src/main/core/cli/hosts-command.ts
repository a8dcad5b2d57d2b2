import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Host } from '../../../shared/protocol';
import { Core } from '../compose';
import { FleetHosts, FleetRequestError, HostConnectionError, HostKeyConfirmationError, type HostKeyScan } from '../fleet';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { CliFailure, EXIT, UsageError } from './exit';

/** Names and addresses may come from an imported file: control characters are shown as escapes. */
const line = (text: string) => escapeControls(text);

interface AddFlags {
  address?: string;
  port?: string;
  user?: string;
  identity?: string;
  tag: string[];
  jump?: string;
  privacy?: string;
}

interface ImportFlags {
  sshConfig?: string;
  ansible?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function describe(h: Host): string {
  if (h.transport === 'local') return 'this machine (no SSH)';
  return line(`${h.user ? `${h.user}@` : ''}${h.address}:${h.port}${h.jump ? ` via ${h.jump}` : ''}`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Runs a hosts subcommand with a Core, mapping fleet errors onto CLI exit codes. */
async function withHosts<T>(fn: (hosts: FleetHosts, core: Core) => Promise<T> | T): Promise<T> {
  const core = new Core();
  try {
    return await fn(new FleetHosts(core.fleet), core);
  } catch (err) {
    if (err instanceof FleetRequestError) throw err.code === 'bad_request' || err.code === 'not_found' ? new UsageError(err.message) : new CliFailure(err.message);
    if (err instanceof HostKeyConfirmationError) throw err.code === 'bad_request' ? new UsageError(err.message) : new CliFailure(err.message);
    if (err instanceof HostConnectionError) throw new CliFailure(`${err.code}: ${err.message}`);
    throw err;
  } finally {
    await core.close();
  }
}

function printScan(scan: HostKeyScan): void {
  process.stdout.write(`${line(scan.host)} (${line(scan.endpoint)}) presents ${line(scan.keyType)} ${scan.fingerprint}\n`);
  if (scan.status === 'trusted') process.stdout.write('This key is already trusted.\n');
  if (scan.status === 'unknown') process.stdout.write('This key is not known yet (not in known_hosts, not confirmed in Fleetmind).\n');
  if (scan.status === 'mismatch') {
    process.stderr.write(
      `\nWARNING: THE HOST KEY OF ${scan.host} HAS CHANGED.\n  now:      ${scan.keyType} ${scan.fingerprint}\n${scan.expected
        .map((e) => `  expected: ${e.keyType} ${e.fingerprint} (${e.source})`)
        .join('\n')}\nSomeone could be intercepting the connection, or the host was reinstalled. Confirm only if you know why it changed.\n\n`,
    );
  }
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerHostsCommand(program: Command): void {
  const hosts = program.command('hosts').description('The fleet inventory: list, add, remove, import hosts; confirm host keys');

  hosts
    .command('list')
    .description('List the inventory (the local machine is always there as "localhost")')
    .option('--json', 'print a JSON array of hosts')
    .action(async (flags: { json?: boolean }) => {
      await withHosts((h) => {
        const list = h.list();
        if (flags.json) {
          process.stdout.write(`${safeJsonStringify(list)}\n`);
          return;
        }
        const rows = [['NAME', 'ADDRESS', 'TAGS', 'IDENTITY'], ...list.map((x) => [line(x.name), describe(x), line(x.tags.join(',')) || '-', line(x.identityFile ?? '-')])];
        process.stdout.write(`${table(rows)}\n`);
      });
    });

  hosts
    .command('add')
    .description('Add (or replace) an SSH host')
    .argument('<name>', 'inventory name, e.g. web-1')
    .requiredOption('--address <address>', 'host name or IP address to connect to')
    .option('--port <port>', 'SSH port (default 22)')
    .option('--user <user>', 'login user (default: your local user name)')
    .option('--identity <file>', 'private key file (default: ssh-agent, then ~/.ssh/id_*)')
    .option('--tag <tag>', 'tag for selectors like tag:web (repeatable)', collect, [])
    .option('--jump <host>', 'ProxyJump: an inventory host or [user@]host[:port]')
    .option('--privacy <mode>', 'default | local_only')
    .usage('NAME --address A [--port P] [--user U] [--identity FILE] [--tag T]... [--jump HOST]')
    .action(async (name: string, flags: AddFlags) => {
      let port: number | undefined;
      if (flags.port !== undefined) {
        port = Number(flags.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a number from 1 to 65535, got "${flags.port}"`);
      }
      await withHosts((h) => {
        const host = h.add({
          name,
          address: flags.address,
          port,
          user: flags.user ?? null,
          identityFile: flags.identity ?? null,
          tags: flags.tag,
          jump: flags.jump ?? null,
          privacy: flags.privacy,
        });
        process.stdout.write(`added ${line(host.name)}: ${describe(host)}${host.tags.length ? ` [${line(host.tags.join(', '))}]` : ''}\n`);
        process.stderr.write(`If its host key is not in ~/.ssh/known_hosts, check and confirm it with: fleetmind hosts trust ${host.name}\n`);
      });
    });

  hosts
    .command('remove')
    .description('Remove a host from the inventory')
    .argument('<name>')
    .action(async (name: string) => {
      await withHosts(async (h) => {
        await h.remove(name);
        process.stdout.write(`removed ${name}\n`);
      });
    });

  hosts
    .command('import')
    .description('Add or update hosts from an OpenSSH client config or an Ansible inventory (INI or YAML)')
    .option('--ssh-config <file>', 'ssh_config file, e.g. ~/.ssh/config')
    .option('--ansible <file>', 'Ansible inventory (INI, or YAML for .yml/.yaml)')
    .usage('--ssh-config FILE | --ansible FILE')
    .action(async (flags: ImportFlags) => {
      if (!!flags.sshConfig === !!flags.ansible) throw new UsageError('give exactly one of --ssh-config FILE or --ansible FILE');
      const file = (flags.sshConfig ?? flags.ansible) as string;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      }
      await withHosts((h) => {
        const summary = flags.sshConfig
          ? h.import('ssh-config', text, { file })
          : h.import('ansible', text, { format: /\.ya?ml$/i.test(file) ? 'yaml' : undefined });
        for (const w of summary.warnings) process.stderr.write(`warning: ${line(w)}\n`);
        const total = summary.added.length + summary.updated.length;
        process.stdout.write(
          `imported ${total} host${total === 1 ? '' : 's'} from ${line(file)}: ${summary.added.length} added${summary.added.length ? ` (${line(summary.added.join(', '))})` : ''}, ${summary.updated.length} updated${summary.updated.length ? ` (${line(summary.updated.join(', '))})` : ''}\n`,
        );
        if (total === 0) process.exitCode = EXIT.failure;
      });
    });

  hosts
    .command('trust')
    .description("Show a host's SSH host key and confirm it (recorded in Fleetmind's known_hosts)")
    .argument('<name>')
    .option('--fingerprint <SHA256:...>', 'the fingerprint you checked; the key is recorded only if the host presents exactly this key')
    .action(async (name: string, flags: { fingerprint?: string }) => {
      await withHosts(async (h) => {
        const { scan } = await h.trust(name, null, 'cli:hosts trust');
        printScan(scan);
        if (scan.status === 'trusted' && !flags.fingerprint) return;
        let fingerprint = flags.fingerprint ?? null;
        if (fingerprint === null) {
          if (!process.stdin.isTTY) {
            throw new CliFailure(`not recorded. After checking the fingerprint, run: fleetmind hosts trust ${name} --fingerprint ${scan.fingerprint}`);
          }
          if (!(await confirmOnTerminal(`Trust ${scan.fingerprint} for ${name}? Type "yes" to confirm: `))) throw new CliFailure('not recorded');
          fingerprint = scan.fingerprint;
        }
        const result = await h.trust(name, fingerprint, 'cli:hosts trust');
        if (result.replaced.length) process.stderr.write(`replaced the previously trusted key(s) ${result.replaced.join(', ')}\n`);
        process.stdout.write(`trusted ${scan.keyType} ${scan.fingerprint} for ${name} (${scan.endpoint})\n`);
      });
    });

  // Subcommands end through main()'s exit codes (2 for bad usage) rather than process.exit.
  for (const sub of hosts.commands) sub.exitOverride().showHelpAfterError('(run with --help for usage)');
}
