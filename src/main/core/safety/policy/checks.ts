import type { ParsedArgs, ParsedFlag } from './args';
import { normalizePath } from './script';
import type { ShellWord } from './words';

export interface CheckInput {
  program: string;
  args: ParsedArgs;
}

/** Predicates for syntax that YAML patterns cannot express; rules refer to them by name (`check:`). */
export type Check = (input: CheckInput) => boolean;

function flagValues(flags: readonly ParsedFlag[], names: readonly string[]): ShellWord[] {
  return flags.filter((f) => names.includes(f.name) && f.value).map((f) => f.value as ShellWord);
}

/** awk programs that run commands, write files, open network sockets or load extensions. */
export function awkProgramIsUnsafe(program: string): boolean {
  // Strip string literals' escaped quotes only; a `>` or `|` inside a string is rare enough to ask about.
  if (/\bsystem\s*\(/.test(program)) return true;
  if (/(^|[^|])\|(?!\|)/.test(program)) return true; // "cmd" | getline, print | "cmd", |&
  if (/\bprintf?\b[^;{}\n]*>/.test(program)) return true; // print > "file"
  if (/\/inet6?\d?\//.test(program)) return true;
  if (/@(load|include)\b/.test(program)) return true;
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
    // Old-style bundled options: `tar tvf x.tar`.
    for (const c of first.text) if (TAR_MODES[c]) mode = mode === 'other' ? 'other' : (TAR_MODES[c] as 'list' | 'other');
  }
  for (const f of args.flags) {
    const short = f.name.length === 2 ? TAR_MODES[f.name.slice(1)] : undefined;
    const long = TAR_LONG_MODES[f.name];
    const m = short ?? long;
    if (m) mode = mode === 'other' ? 'other' : m;
    const abbreviates = f.name.startsWith('--') && f.name.length > 3 && !(f.name in TAR_LONG_MODES) && TAR_EXEC_OPTIONS.some((o) => o.startsWith(f.name));
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

export const CHECKS: Record<string, Check> = {
  git_global_exec: gitGlobalExec,
  iproute_read_only: iprouteReadOnly,
  nmcli_read_only: nmcliReadOnly,
  awk_program_unsafe: awkUnsafe,
  sed_script_unsafe: sedUnsafe,
  mode_sets_setuid: setsSetuid,
  container_escapes: containerEscapes,
  tar_lists_only: tarListsOnly,
};
