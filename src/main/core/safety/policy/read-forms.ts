import type { ParsedFlag } from './args';
import type { CheckInput } from './check-input';
import { ANYWHERE_CWD, type SimpleCommand } from './script';
import type { ShellWord } from './words';

/**
 * Read-only forms of programs that are otherwise asked about (curl -X GET, nc -z,
 * apt-get -s, go version, gh pr list, docker exec C cmd...). Each check describes the
 * harmless form exactly; the asking rule uses the same check negated (`check: not:NAME`),
 * so the two rules split the program's uses without an exclusion that could hide a word.
 */

/** Whether the option as written is `name` or an abbreviation of it (`--req` for `--request`). */
function isOption(written: string, name: string): boolean {
  return written === name || (written.startsWith('--') && written.length >= 3 && name.startsWith('--') && name.startsWith(written));
}

function flagsNamed(flags: readonly ParsedFlag[], names: readonly string[]): ParsedFlag[] {
  return flags.filter((f) => names.some((n) => isOption(f.name, n)));
}

const literal = (w: ShellWord | null | undefined): w is ShellWord => !!w && w.static && !w.glob && !w.splittable;

/** curl -X/--request names only methods that neither send nor change anything. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
function curlSafeMethod({ args }: CheckInput): boolean {
  return flagsNamed(args.flags, ['-X', '--request']).every((f) => literal(f.value) && SAFE_METHODS.has(f.value.text));
}

/** nc -z HOST PORT...: only reports whether ports accept connections (no -e/-c/-l, no data sent). */
const NC_SCAN_FLAGS = new Set(['-z', '-v', '-w', '-n', '-4', '-6']);
function ncPortCheck({ program, args }: CheckInput): boolean {
  if (!['nc', 'ncat', 'netcat'].includes(program)) return false;
  if (!args.flags.some((f) => f.name === '-z')) return false;
  if (!args.flags.every((f) => NC_SCAN_FLAGS.has(f.name) && (f.name !== '-w' || (literal(f.value) && /^\d+$/.test(f.value.text))))) return false;
  const p = args.positionals;
  return p.length >= 2 && p.length <= 3 && p.every(literal) && p.slice(1).every((w) => /^\d+(-\d+)?$/.test(w.text)) && /^[A-Za-z0-9.:_[\]-]+$/.test(p[0]?.text ?? '');
}

/**
 * apt-get -s/--simulate with a subcommand that honours it: nothing is installed and no
 * package script runs. `--simulate=no`, `--no-simulate` and config options (`-o`, `-c`) turn it off.
 */
const APT_SIMULATE = ['-s', '--simulate', '--just-print', '--dry-run', '--recon', '--no-act'];
const APT_SIMULABLE = new Set(['install', 'reinstall', 'remove', 'purge', 'upgrade', 'dist-upgrade', 'full-upgrade', 'autoremove', 'autopurge', 'build-dep', 'satisfy', 'check']);
function aptGetSimulates({ program, args }: CheckInput): boolean {
  if (program !== 'apt-get') return false;
  const sub = args.positionals[0];
  if (!literal(sub) || !APT_SIMULABLE.has(sub.text)) return false;
  if (!args.flags.some((f) => APT_SIMULATE.includes(f.name) && f.value === null)) return false;
  if (args.flags.some((f) => f.name.startsWith('--no-') || f.word.text.includes('=') || ['-o', '--option', '-c', '--config-file'].some((o) => isOption(f.name, o)))) return false;
  return args.words.every((w) => w.static && !/^(no|false|off|0)$/i.test(w.text));
}

/** go version / go env (reading, not -w/-u): print the toolchain's version and settings. */
function goInfo({ program, args }: CheckInput): boolean {
  if (program !== 'go') return false;
  const [sub, ...rest] = args.positionals;
  if (!literal(sub)) return false;
  if (sub.text === 'version') return args.flags.every((f) => ['-m', '-v', '-json'].includes(f.name)) && rest.length <= 1 && rest.every(literal);
  if (sub.text === 'env') return args.flags.every((f) => ['-json', '-changed'].includes(f.name)) && rest.every((w) => literal(w) && /^[A-Z][A-Z0-9_]*$/.test(w.text));
  return false;
}

/**
 * gh read verbs: listing and viewing pull requests, issues, runs, releases and the repo;
 * `gh api` only as a GET (no -f/-F/--field/--raw-field/--input, -X GET if given).
 * Never `--web` (opens a browser), `-R` to a run-time repo, or downloads/log exports to files.
 */
const GH_READ: Record<string, readonly string[]> = {
  pr: ['list', 'view', 'status', 'diff', 'checks'],
  issue: ['list', 'view', 'status'],
  run: ['list', 'view'],
  repo: ['view'],
  release: ['list', 'view'],
  workflow: ['list', 'view'],
};
const GH_READ_FLAGS = ['-R', '--repo', '-L', '--limit', '-s', '--state', '-a', '--author', '-l', '--label', '-B', '--base', '-H', '--head', '-A', '--assignee', '--json', '-q', '--jq', '-t', '--template', '-c', '--comments', '--log', '--log-failed', '-j', '--job', '-b', '--branch', '--workflow', '-u', '--user', '-e', '--event', '--status', '--name-only', '--patch', '--color', '--search', '-S', '--required', '--watch', '-i', '--interval', '--exit-status', '-v', '--verbose', '--attempt', '--commit', '--draft', '--mention', '--milestone', '--app', '--created', '--exclude-drafts', '--exclude-pre-releases', '--order', '--fail-fast', '--all'];
const GH_API_FLAGS = ['-X', '--method', '-H', '--header', '-q', '--jq', '-t', '--template', '--paginate', '--slurp', '-i', '--include', '--silent', '--hostname', '--cache', '--preview', '-p', '--verbose'];
function ghRead({ program, args }: CheckInput): boolean {
  if (program !== 'gh') return false;
  if (!args.words.every((w) => w.static && !w.splittable)) return false;
  const p = args.positionals.map((w) => w.text);
  if (p[0] === 'api') {
    if (p.length !== 2 || /^graphql$/i.test(p[1] ?? '')) return false;
    if (!args.flags.every((f) => GH_API_FLAGS.includes(f.name))) return false;
    if (args.flags.some((f) => f.name === '--hostname' && !literal(f.value))) return false;
    return flagsNamed(args.flags, ['-X', '--method']).every((f) => literal(f.value) && f.value.text.toUpperCase() === 'GET');
  }
  if (p[0] === 'auth' && p[1] === 'status' && p.length === 2) return args.flags.every((f) => ['-h', '--hostname'].includes(f.name));
  const verbs = p[0] ? GH_READ[p[0]] : undefined;
  if (!verbs || !p[1] || !verbs.includes(p[1]) || p.length > 3) return false;
  return args.flags.every((f) => GH_READ_FLAGS.includes(f.name));
}

/** fd lists files; -x/--exec/-X/--exec-batch run a command on them, --search-path and ignore files are fine. */
function fdLists({ args }: CheckInput): boolean {
  return !args.flags.some((f) => ['-x', '--exec', '-X', '--exec-batch'].some((o) => isOption(f.name, o)));
}

/** 7z l ARCHIVE: lists the archive (no -o output dir, no -so, no switches that write or run). */
function sevenZipList({ args }: CheckInput): boolean {
  const [sub, ...rest] = args.positionals;
  if (!literal(sub) || sub.text !== 'l') return false;
  return rest.length >= 1 && args.flags.every((f) => /^-(slt|ba|bd|r-?|t[a-z0-9]*|bb[0-3]?)$/.test(f.name));
}

/**
 * `docker exec [-w DIR] CONTAINER cmd...` and `kubectl exec POD [-c C] [-n NS] -- cmd...`
 * without -i/-t (no terminal, no input), -d, -e/--env-file, -u or --privileged: the command
 * runs inside the container as a nested argv and is judged like any other.
 */
const DOCKER_EXEC_VALUE = new Set(['-w', '--workdir']);
const KUBECTL_EXEC_VALUE = new Set(['-c', '--container', '-n', '--namespace', '--context', '--cluster', '--request-timeout', '--pod-running-timeout']);
const DOCKER_GLOBAL_VALUE = new Set(['-H', '--host', '-c', '--context', '-l', '--log-level']);

export function containerExecCommand(program: string, words: readonly ShellWord[]): ShellWord[] | null {
  if (program === 'docker' || program === 'podman') return dockerExec(words);
  if (program === 'kubectl') return kubectlExec(words);
  return null;
}

function dockerExec(words: readonly ShellWord[]): ShellWord[] | null {
  let i = 0;
  // Global options before the subcommand (their own rules judge -H, --context, --config).
  while (i < words.length && words[i]?.text.startsWith('-')) {
    const w = words[i] as ShellWord;
    if (!literal(w)) return null;
    i += DOCKER_GLOBAL_VALUE.has(w.text) ? 2 : 1;
  }
  if (words[i]?.text === 'container') i++;
  if (!literal(words[i]) || words[i]?.text !== 'exec') return null;
  i++;
  while (i < words.length && words[i]?.text.startsWith('-')) {
    const w = words[i] as ShellWord;
    if (!literal(w)) return null;
    const eq = w.text.indexOf('=');
    const name = eq > 0 ? w.text.slice(0, eq) : w.text;
    if (!DOCKER_EXEC_VALUE.has(name)) return null;
    if (eq > 0) i++;
    else {
      if (!literal(words[i + 1])) return null;
      i += 2;
    }
  }
  const container = words[i];
  if (!literal(container) || container.text === '--') return null;
  const inner = words.slice(i + 1);
  return inner.length > 0 ? inner : null;
}

function kubectlExec(words: readonly ShellWord[]): ShellWord[] | null {
  const dash = words.findIndex((w) => w.text === '--' && w.static);
  if (dash < 0) return null;
  const own = words.slice(0, dash);
  const inner = words.slice(dash + 1);
  if (inner.length === 0 || !own.every(literal)) return null;
  let sawExec = false;
  let pod = 0;
  for (let i = 0; i < own.length; i++) {
    const t = (own[i] as ShellWord).text;
    if (t.startsWith('-')) {
      const eq = t.indexOf('=');
      const name = eq > 0 ? t.slice(0, eq) : t;
      if (!KUBECTL_EXEC_VALUE.has(name)) return null;
      if (eq < 0) i++;
      continue;
    }
    if (!sawExec) {
      if (t !== 'exec') return null;
      sawExec = true;
    } else pod++;
  }
  return sawExec && pod === 1 ? inner : null;
}

/** The command a container runs: no input (no -i), no redirections of its own, in a working directory not known here. */
export function containerCommand(words: readonly ShellWord[]): SimpleCommand {
  return { words: [...words], assignments: [], redirects: [], text: words.map((w) => w.raw).join(' '), stdin: { kind: 'inherit' }, background: false, cwd: ANYWHERE_CWD };
}

function containerExecPlain({ program, args }: CheckInput): boolean {
  return containerExecCommand(program, args.words) !== null;
}

export const READ_FORM_CHECKS = {
  curl_safe_method: curlSafeMethod,
  nc_port_check: ncPortCheck,
  apt_get_simulates: aptGetSimulates,
  go_info: goInfo,
  gh_read: ghRead,
  fd_lists: fdLists,
  seven_zip_list: sevenZipList,
  container_exec_plain: containerExecPlain,
};
