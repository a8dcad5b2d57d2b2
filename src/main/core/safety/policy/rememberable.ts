import { parseArgs } from './args';
import type { CompiledPolicy } from './compiled';
import { sameOption } from './evaluator';
import type { ScriptItem, SimpleCommand } from './script';
import { staticWord, type ShellWord } from './words';

/**
 * Whether "approve and remember" may be offered for a command line: a remembered rule
 * allows the exact text from then on, so the text must say everything about what runs.
 * That holds only for one simple command whose every word is a literal (no variables,
 * substitutions, globs, brace or tilde expansion), with no prefix assignments, no
 * redirection to a computed file, run by a program that is not a wrapper (env, sudo,
 * nice, xargs, find -exec...), a shell, an interpreter or a program that takes program
 * text (awk, sed), and that does not read its instructions or arguments from a file
 * (`xargs -a`, `grep -f`, `kubectl apply -f`, `@FILE`): those run differently the
 * next time without the text changing.
 *
 * The verdict's own findings (privilege escalation, credential access...) remain a
 * further veto; this module only looks at the shape of the parse.
 */

/** Programs whose words are program text, or that run instructions from a file or input, or another command. */
const RUNS_INSTRUCTIONS: Record<string, string> = {
  awk: 'its program text can run commands and write files',
  sed: 'its script can run commands and write files',
  ed: 'it is an editor that runs the commands it is given',
  ex: 'it is an editor that runs the commands it is given',
  vi: 'it is an editor that runs the commands it is given',
  vim: 'it is an editor that runs the commands it is given',
  nvim: 'it is an editor that runs the commands it is given',
  view: 'it is an editor that runs the commands it is given',
  emacs: 'it is an editor that runs the code it is given',
  gdb: 'it is a debugger that runs the commands it is given',
  lldb: 'it is a debugger that runs the commands it is given',
  make: 'it runs the recipes of a Makefile, which can change',
  source: 'it runs a script file, which can change',
  '.': 'it runs a script file, which can change',
  parallel: 'it runs other commands',
  'start-stop-daemon': 'it starts another program',
  daemonize: 'it starts another program',
  'run-parts': 'it runs every script in a directory',
  crontab: 'it installs a table of commands from a file or its input',
  at: 'it schedules commands read from a file or its input',
  batch: 'it schedules commands read from a file or its input',
  'iptables-restore': 'it loads rules from a file or its input, which can change',
  'ip6tables-restore': 'it loads rules from a file or its input, which can change',
  'ansible-playbook': 'it runs a playbook file, which can change',
};

/** Options whose value (or, for some, presence) makes the program read its instructions or arguments from a file. */
const INSTRUCTION_FILE_OPTIONS: Record<string, string[]> = {
  xargs: ['-a', '--arg-file'],
  grep: ['-f', '--file', '--exclude-from'],
  tar: ['-T', '--files-from', '-X', '--exclude-from'],
  rsync: ['--files-from', '--exclude-from', '--include-from'],
  nft: ['-f', '--file'],
  kubectl: ['-f', '--filename', '-k', '--kustomize'],
  helm: ['-f', '--values', '--set-file'],
  docker: ['--file', '--env-file'],
  'docker-compose': ['-f', '--file', '--env-file'],
  curl: ['-K', '--config'],
  wget: ['-i', '--input-file', '--config'],
  sysctl: ['-p', '--load'],
};

const BRACE_EXPANSION = /\{[^{}]*(?:,|\.\.)[^{}]*\}/;

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The unquoted text of a word's source (quoted parts and escaped characters replaced by a placeholder). */
function unquoted(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\') {
      i++;
      out += '_';
    } else if (c === "'" || (c === '$' && raw[i + 1] === "'")) {
      if (c === '$') i++;
      const end = raw.indexOf("'", i + 1);
      i = end < 0 ? raw.length : end;
      out += '_';
    } else if (c === '"') {
      let j = i + 1;
      while (j < raw.length && raw[j] !== '"') j += raw[j] === '\\' ? 2 : 1;
      i = j;
      out += '_';
    } else out += c;
  }
  return out;
}

/** Why a word is not a plain literal (the same text every time), or null when it is one. */
function nonLiteral(word: ShellWord): string | null {
  const shown = JSON.stringify(word.raw.length > 60 ? `${word.raw.slice(0, 57)}...` : word.raw);
  if (word.processSubstitution) return `${shown} is a process substitution`;
  if (!word.static) return `${shown} is only known at run time (${word.dynamicParts.join(', ') || 'an expansion'})`;
  if (word.glob) return `${shown} is a glob, which matches whatever files exist when it runs`;
  if (word.expanded) return `${shown} is expanded by the shell (a variable or ~), which can hold something else next time`;
  if (word.alternatives.length > 1 || word.fields || BRACE_EXPANSION.test(unquoted(word.raw))) return `${shown} uses brace expansion`;
  return null;
}

function commandWords(items: readonly ScriptItem[]): SimpleCommand[] {
  return items.flatMap((i) => (i.kind === 'command' ? [i.command] : []));
}

/**
 * Why an approval of this command must not be remembered, or null when it may be. `items`
 * is what the policy parsed (null when the command could not be analysed); `argv` is set
 * for commands given as words (no shell).
 */
export function rememberRefusal(items: readonly ScriptItem[] | null, argv: readonly string[] | null, policy: CompiledPolicy): string | null {
  let command: SimpleCommand;
  if (argv && argv.length > 0) {
    command = { words: argv.map(staticWord), assignments: [], redirects: [], text: argv.join(' '), stdin: { kind: 'inherit' }, background: false, cwd: null };
  } else {
    if (!items) return 'the command could not be analysed';
    const commands = commandWords(items);
    if (items.length !== 1 || commands.length !== 1) {
      // Name the run-time part when there is one: it is what would change.
      for (const c of commands) for (const w of c.words) {
        const why = nonLiteral(w);
        if (why) return why;
      }
      if (commands.length === 0) return 'it is not a simple command';
      return 'only a single simple command can be remembered, not pipelines, lists, loops, functions or substitutions';
    }
    command = commands[0] as SimpleCommand;
  }
  if (command.assignments.length > 0) return `it sets ${command.assignments.map((a) => a.name || 'a variable').join(', ')} for the program, which changes what it runs or loads`;
  if (command.background) return 'it runs in the background';
  for (const r of command.redirects) {
    if (r.kind === 'dup' || r.kind === 'close' || r.kind === 'text') continue;
    const why = r.target ? nonLiteral(r.target) : 'a redirection without a file';
    if (why) return `its redirection ${r.text}: ${why}`;
  }
  if (command.stdin.kind === 'text') {
    const why = nonLiteral(command.stdin.text);
    if (why) return `its input (here-document or here-string) ${why}`;
  }
  for (const w of command.words) {
    const why = nonLiteral(w);
    if (why) return why;
  }

  const program = command.words[0];
  if (!program) return 'it runs no program';
  let name = program.text;
  if (name.includes('/')) {
    if (!policy.settings.systemProgramDirs.has(dirname(name))) return `it runs ${name}, a file outside the system program directories whose contents can change`;
    name = basename(name);
  }
  name = policy.aliases.get(name) ?? name;
  const args = command.words.slice(1);

  const fileOptions = INSTRUCTION_FILE_OPTIONS[name];
  if (fileOptions) {
    const spec = policy.programs.get(name) ?? policy.wrappers.get(name);
    const parsed = parseArgs(args, { valueOptions: new Set([...(spec?.value_options ?? []), ...fileOptions]), singleDashLong: spec?.single_dash_long ?? false, stopAtPositional: policy.wrappers.has(name) ? 0 : undefined });
    const flag = parsed.flags.find((f) => fileOptions.some((o) => sameOption(f.name, o)));
    if (flag) return `${name} ${flag.name} reads its ${name === 'xargs' ? 'arguments' : 'instructions'} from ${flag.value ? JSON.stringify(flag.value.text) : 'a file'}, which can change`;
  }
  const argumentFile = args.find((w) => /^@[^{]/.test(w.text) || /^-[^=]*=@./.test(w.text) || /^-[A-Za-z]@./.test(w.text));
  if (argumentFile) return `${JSON.stringify(argumentFile.text)} names a file its arguments are read from, which can change`;

  const wrapper = policy.wrappers.get(name);
  if (wrapper) {
    switch (wrapper.kind) {
      case 'shell':
        return `${name} is a shell: what it runs is a script or a command string, not this command line`;
      case 'eval':
        return `${name} runs text as commands`;
      case 'env':
        return `${name} runs another command (and can change its environment)`;
      case 'ssh':
        return `${name} runs a command on another host`;
      case 'xargs':
        return `${name} builds commands from the items it reads`;
      case 'watch':
        return `${name} runs another command through a shell`;
      case 'busybox':
        return `${name} runs the applet its first word names`;
      case 'find':
        if (args.some((w) => ['-exec', '-execdir', '-ok', '-okdir'].includes(w.text))) return `${name} -exec runs another command on whatever files it finds`;
        break;
      default:
        return `${name} is a wrapper: it runs another command${wrapper.verdict?.category === 'privilege_escalation' ? ' with other privileges' : ''}, so the approval would not be about ${name} itself`;
    }
  }
  if (policy.settings.shellBinaries.has(name)) return `${name} is a shell`;
  if (policy.programs.get(name)?.interpreter) return `${name} is an interpreter: the code it runs is not in the command line`;
  const instructions = RUNS_INSTRUCTIONS[name];
  if (instructions) return `${name}: ${instructions}`;
  return null;
}
