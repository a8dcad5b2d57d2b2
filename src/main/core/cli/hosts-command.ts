import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Host } from '../../../shared/protocol';
import { Core } from '../compose';
import { FleetHosts, FleetRequestError, HostConnectionError, HostKeyConfirmationError } from '../fleet';
import { escapeControls, safeJsonStringify } from '../../../shared/text/escape-controls';
import { CliFailure, EXIT, UsageError } from './exit';
import { cliName } from '../config';
import { trustCommand, type TrustFlags } from './hosts-trust';

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
        process.stderr.write(`If its host key is not in ~/.ssh/known_hosts, check and confirm it with: ${cliName()} hosts trust ${host.name}\n`);
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
        if (summary.hostKeys?.length) {
          const keyless: string[] = [];
          process.stdout.write('host keys:\n');
          for (const k of summary.hostKeys) {
            if (k.keys.length === 0) {
              keyless.push(k.host);
              process.stdout.write(`  ${line(k.host)} (${line(k.endpoint)}): none on record: host_key_unknown until confirmed\n`);
            }
            for (const key of k.keys) process.stdout.write(`  ${line(k.host)} (${line(k.endpoint)}): ${line(key.keyType)} ${key.fingerprint} from ${line(key.source)}\n`);
          }
          if (keyless.length) process.stderr.write(`Check and confirm the missing keys with: ${cliName()} hosts trust ${line(keyless.join(','))}\n`);
        }
        if (total === 0) process.exitCode = EXIT.failure;
      });
    });

  hosts
    .command('trust')
    .description("Show the SSH host keys of the selected hosts and confirm them (recorded in Fleetmind's known_hosts)")
    .argument('<selector>', 'hosts: all, names, globs (web-*), tag:T, comma lists, !exclusions')
    .option('--known-hosts <file>', 'record only keys that match this known_hosts file (needed with --yes)')
    .option('--yes', 'no prompt: record the keys that match --known-hosts (for scripts, without a terminal)')
    .option('--fingerprint <SHA256:...>', 'one host: the fingerprint you checked; recorded only if the host presents exactly this key')
    .usage('SELECTOR [--known-hosts FILE --yes] [--fingerprint SHA256:...]')
    .action(async (selector: string, flags: TrustFlags) => trustCommand(selector, flags));

  // Subcommands end through main()'s exit codes (2 for bad usage) rather than process.exit.
  for (const sub of hosts.commands) sub.exitOverride().showHelpAfterError('(run with --help for usage)');
}
