import type { CommandPolicy, CommandRequest, PolicyVerdict } from './types';

/**
 * The foundation's policy: a fixed list of read-only programs, judged on plain words.
 * Anything with shell syntax, or any program or flag not listed, is refused. The
 * parser-based policy (tree-sitter-bash, YAML rules) replaces this behind the same
 * CommandPolicy interface.
 */
interface ProgramRule {
  /** Allowed only when the first non-flag word is one of these (e.g. `systemctl status`). */
  subcommands?: readonly string[];
  /** Flags or words that make an otherwise read-only program change the system. */
  forbidden?: readonly string[];
  /** When false, any argument outside `subcommands` is refused. */
  freeArgs?: boolean;
}

const SENSITIVE_PATHS = [/^\/etc\/(shadow|gshadow|sudoers)/, /\/\.ssh\//, /^\/root\//, /\.(pem|key)$/, /\/proc\/[^/]+\/environ$/];

const READ_ONLY_PROGRAMS: Record<string, ProgramRule> = {
  uptime: {},
  hostname: { forbidden: ['-b', '-F', '--boot', '--file'], freeArgs: false, subcommands: [] },
  uname: {},
  whoami: {},
  id: {},
  date: { forbidden: ['-s', '--set'] },
  df: {},
  du: {},
  free: {},
  ps: {},
  pgrep: {},
  pstree: {},
  top: { forbidden: [] },
  vmstat: {},
  iostat: {},
  mpstat: {},
  lscpu: {},
  lsblk: {},
  lsmem: {},
  lsof: {},
  nproc: {},
  ss: { forbidden: ['-K', '--kill'] },
  netstat: {},
  ip: { subcommands: ['addr', 'address', 'a', 'route', 'r', 'link', 'l', 'neigh', '-br', '-s', '-4', '-6', '-j'], forbidden: ['add', 'del', 'delete', 'set', 'flush', 'change', 'replace'] },
  systemctl: {
    subcommands: ['status', 'list-units', 'list-unit-files', 'list-timers', 'is-active', 'is-enabled', 'is-failed', 'show', 'cat', '--failed'],
  },
  journalctl: { forbidden: ['--vacuum-size', '--vacuum-time', '--vacuum-files', '--rotate', '--flush', '--sync', '--relinquish-var', '--smart-relinquish-var', '-f', '--follow', '--setup-keys', '--update-catalog'] },
  last: {},
  lastlog: {},
  lastb: {},
  who: {},
  w: {},
  users: {},
  cat: {},
  head: {},
  tail: { forbidden: ['-f', '-F', '--follow'] },
  wc: {},
  ls: {},
  stat: {},
  file: {},
  dmesg: { forbidden: ['-c', '-C', '--clear', '--read-clear', '-n', '--console-level', '-E', '-D', '--console-on', '--console-off', '-w', '--follow', '-W', '--follow-new'] },
  getent: {},
  env: { freeArgs: false, subcommands: [] },
  printenv: {},
  timedatectl: { subcommands: ['status', 'show', 'list-timezones'], freeArgs: true },
  hostnamectl: { subcommands: ['status'] },
  loginctl: { subcommands: ['list-sessions', 'list-users', 'show-session', 'show-user', 'session-status', 'user-status'] },
  findmnt: {},
  mount: { freeArgs: false, subcommands: [] },
  sysctl: { forbidden: ['-w', '--write', '-p', '--load', '--system'] },
  echo: {},
  true: {},
};

const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]{}~#\n]/;

function verdict(decision: PolicyVerdict['decision'], category: PolicyVerdict['category'], ...reasons: string[]): PolicyVerdict {
  return { decision, category, reasons };
}

export function splitPlainWords(command: string): string[] | null {
  if (SHELL_SYNTAX.test(command)) return null;
  const words = command.trim().split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : null;
}

export class ReadOnlyAllowlistPolicy implements CommandPolicy {
  readonly version = 'foundation-allowlist-1';

  evaluate(request: CommandRequest): PolicyVerdict {
    const words = request.argv ? [...request.argv] : splitPlainWords(request.command);
    if (!words || words.length === 0) {
      return verdict('ask', 'unknown', 'the command uses shell syntax (pipes, redirections, quotes or substitutions), which needs the full safety parser; run a single plain command');
    }
    const [program, ...args] = words as [string, ...string[]];
    const rule = READ_ONLY_PROGRAMS[program];
    if (!rule) {
      return verdict('ask', 'unknown', `"${program}" is not on the read-only list this build allows without approval`);
    }
    for (const arg of args) {
      if (rule.forbidden?.some((f) => arg === f || arg.startsWith(`${f}=`))) {
        return verdict('ask', 'mutating', `"${program} ${arg}" changes the system or never ends`);
      }
      if (SENSITIVE_PATHS.some((re) => re.test(arg))) {
        return verdict('deny', 'credential_access', `"${arg}" holds credentials or keys`);
      }
    }
    if (rule.subcommands) {
      const firstWord = args.find((a) => !a.startsWith('-') || rule.subcommands?.includes(a));
      if (rule.freeArgs === false && args.length > 0) {
        return verdict('ask', 'unknown', `"${program}" is allowed only without arguments`);
      }
      if (firstWord !== undefined && !rule.subcommands.includes(firstWord)) {
        return verdict('ask', 'mutating', `"${program} ${firstWord}" is not a read-only subcommand (allowed: ${rule.subcommands.join(', ')})`);
      }
    }
    return verdict('allow', 'read_only', `"${program}" is a read-only inspection program`);
  }
}
