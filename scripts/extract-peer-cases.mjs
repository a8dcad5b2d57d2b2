#!/usr/bin/env node
// Extracts the command-classification test cases (commands + labels only, never code) that
// five other coding agents wrote for their own command-safety checks, pinned to the commits
// below, into test/fixtures/peer-cases/<peer>.jsonl:
//   {"command", "label": "safe"|"unsafe", "peer", "source": "path@commit", "note"?}
// Usage: node scripts/extract-peer-cases.mjs [--mirrors DIR]   (default /work/.mirror)
// Each peer's repository must be present as a bare git dir at DIR/<owner>+<name>/repo
// (any clone works: `git clone --bare URL DIR/<owner>+<name>/repo`). Files are read with
// `git show <commit>:<path>`, so the working copy's state never matters.
// Attribution, licences and every exclusion are documented in test/fixtures/peer-cases/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test', 'fixtures', 'peer-cases');
const argi = process.argv.indexOf('--mirrors');
const mirrors = argi > 0 ? process.argv[argi + 1] : '/work/.mirror';

export const PINS = {
  codex: { repo: 'openai/codex', licence: 'Apache-2.0', files: {
    'codex-rs/core/src/command_safety/is_safe_command.rs': 'fdfaeac6f2261cbc4b37eb59587291dee92fde4d',
    'codex-rs/core/src/command_safety/is_dangerous_command.rs': '08a79e29d7d1d294984b93118d7128a0714bad9a' } },
  'gemini-cli': { repo: 'google-gemini/gemini-cli', licence: 'Apache-2.0', files: {
    'packages/core/src/sandbox/utils/commandSafety.test.ts': '5411f113cafae26161b4969b0237b8e1e024e2c2',
    'packages/core/src/policy/shell-safety.test.ts': '5411f113cafae26161b4969b0237b8e1e024e2c2' } },
  continue: { repo: 'continuedev/continue', licence: 'Apache-2.0', files: {
    'packages/terminal-security/test/terminalCommandSecurity.test.ts': 'd0a3c0b626b5bebc3bef4742eec05a0242be0bab' } },
  'amazon-q': { repo: 'aws/amazon-q-developer-cli', licence: 'MIT OR Apache-2.0', files: {
    'crates/chat-cli/src/cli/chat/tools/execute/mod.rs': '15cc8f3cd18c4272925ce1c7053268eedff1ea0a' } },
  'roo-code': { repo: 'RooCodeInc/Roo-Code', licence: 'Apache-2.0', files: {
    'webview-ui/src/utils/__tests__/command-validation.spec.ts': '23856a587402001e6243ed21fa991b3ec3d2b203',
    'src/core/auto-approval/__tests__/commands.spec.ts': 'cb836567180a3ff1da6d082f3178b90c3bd22a70' } },
};

function show(peer, path) {
  const { repo, files } = PINS[peer];
  const dir = join(mirrors, repo.replace('/', '+'), 'repo');
  if (!existsSync(dir)) return null;
  try {
    return execFileSync('git', ['-C', dir, 'show', `${files[path]}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch { return null; }
}

// ---- literal decoders (data only) ----
function jsString(src, i) { // src[i] is the quote; returns [value, endIndex]
  const q = src[i]; let v = ''; i++;
  while (i < src.length && src[i] !== q) {
    if (src[i] === '\\') {
      const c = src[++i];
      v += c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === '0' ? '\0' : c; i++;
    } else if (q === '`' && src.startsWith('${', i)) return [null, i];
    else v += src[i++];
  }
  return [v, i + 1];
}
function rustString(src, i) { // "..." or r"..." / r#"..."#
  if (src[i] === 'r') {
    let j = i + 1, hashes = '';
    while (src[j] === '#') { hashes += '#'; j++; }
    const end = src.indexOf('"' + hashes, j + 1);
    return [src.slice(j + 1, end), end + 1 + hashes.length];
  }
  let v = ''; i++;
  while (src[i] !== '"') {
    if (src[i] === '\\') {
      const c = src[++i];
      if (c === '\n') { i++; while (/\s/.test(src[i])) i++; continue; }
      v += c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === '0' ? '\0' : c; i++;
    } else v += src[i++];
  }
  return [v, i + 1];
}
const shq = (w) => (/^[A-Za-z0-9_@%+=:,./{}*-]+$/.test(w) && !/^[{}]$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
function argvToCommand(argv) {
  if (/^(bash|sh|zsh)$/.test(argv[0]) && /^-l?c$/.test(argv[1]) && argv.length === 3) return argv[2];
  return argv.map(shq).join(' ');
}

const cases = {}; const excluded = [];
const add = (peer, path, command, label, note) => {
  if (!command.trim()) { exclude(peer, path, command, 'empty or blank input: not a command'); return; }
  (cases[peer] ??= []).push({ command, label, peer, source: `${path}@${PINS[peer].files[path]}`, ...(note ? { note } : {}) });
};
const exclude = (peer, path, command, why) => excluded.push({ peer, source: `${path}@${PINS[peer].files[path]}`, command, why });

// ---- Codex: assert!([!]fn(&vec_str(&[...]))) and `for args in [vec_str(..)] { assert!(!fn(&args)) }`
const CODEX_EXCLUDE = {
  '(ls)': 'labelled "not known safe" only because Codex\'s parser cannot prove subshells safe; a subshell running ls is harmless',
  'ls || (pwd && echo hi)': 'same: harmless subshell the peer\'s parser does not handle',
};
function codex(path, text) {
  const tests = text.slice(text.indexOf('mod tests'));
  const re = /vec_str\(&\[/g; let m;
  while ((m = re.exec(tests))) {
    // parse the string array
    let i = m.index + m[0].length; const argv = [];
    for (;;) {
      while (/[\s,]/.test(tests[i])) i++;
      if (tests[i] === ']') break;
      const [v, e] = rustString(tests, i); argv.push(v); i = e;
    }
    if (tests.lastIndexOf('fn vec_str', m.index) > tests.lastIndexOf('#[test]', m.index)) continue; // helper definition
    const lastAssert = tests.lastIndexOf('assert!(', m.index);
    const lastFor = tests.lastIndexOf('for args in [', m.index);
    const at = lastFor > lastAssert ? tests.indexOf('assert!(', m.index) : lastAssert;
    const after = tests.slice(at + 8).trimStart();
    const negated = after.startsWith('!');
    const fn = /^!?\s*(\w+)/.exec(after)[1];
    if (argv.length === 4 && argv[0] === 'bash' && argv[1] === '-lc') { exclude('codex', path, argv.join(' '), 'four-argument bash -lc form: a calling-convention test of Codex\'s argv API, not a shell command line'); continue; }
    if (argv[0] === 'bash' && argv[2] === "'git status'") { exclude('codex', path, argv.join(' '), 'quoting test of Codex\'s argv API (a program literally named "git status"), not a command line'); continue; }
    const command = argvToCommand(argv);
    if (CODEX_EXCLUDE[command]) { exclude('codex', path, command, CODEX_EXCLUDE[command]); continue; }
    const dangerousFn = fn === 'command_might_be_dangerous';
    const label = dangerousFn ? (negated ? 'safe' : 'unsafe') : (negated ? 'unsafe' : 'safe');
    add('codex', path, command, label, `${fn}${negated ? ' = false' : ' = true'}`);
  }
}

// ---- Gemini CLI
function geminiSandbox(path, text) {
  const re = /(isKnownSafeCommand|isDangerousCommand)\(\s*\[([^\]]*)\]\s*,?\s*\)\s*,?\s*\)\.toBe\((true|false)\)/g; let m;
  while ((m = re.exec(text))) {
    const argv = []; const s = m[2]; let i = 0;
    while (i < s.length) { if (s[i] === "'" || s[i] === '"') { const [v, e] = jsString(s, i); argv.push(v); i = e; } else i++; }
    const command = argvToCommand(argv.map((w, k) => (k === 0 ? w.replace(/^.*\//, '') : w)));
    const val = m[3] === 'true';
    if (m[1] === 'isKnownSafeCommand' && !val && !argv.some((w) => /^(-z|--search-zip|--pre)/.test(w))) {
      exclude('gemini-cli', path, command, 'refused only because the mocked binary path is untrusted or relative (a PATH-trust test, not a judgement of the command)'); continue;
    }
    const label = m[1] === 'isDangerousCommand' ? (val ? 'unsafe' : 'safe') : (val ? 'safe' : 'unsafe');
    add('gemini-cli', path, command, label, `${m[1]} = ${val}`);
  }
}
function geminiShellSafety(path, text) {
  const start = text.indexOf('const commandMap'); const end = text.indexOf('};', start);
  const body = text.slice(start, end);
  const re = /^\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"):\s*\[([^\]]*)\]/gm; let m;
  while ((m = re.exec(body))) {
    const [command] = jsString(m[1], 0);
    if (/rm -rf \//.test(m[2]) || /rm -rf \//.test(command)) add('gemini-cli', path, command, 'unsafe', 'must not pass a "git log" prefix rule: contains rm -rf /');
    else exclude('gemini-cli', path, command, 'label depends on the test\'s configured allowlist ("git log" prefix rule) or on a mocked parse failure, not on what the command does');
  }
}

// ---- Continue: evaluateTerminalCommandSecurity("<policy>", <string>) ... toBe("<result>")
const STRICT = { allowedWithoutPermission: 0, allowedWithPermission: 1, disabled: 2 };
function cont(path, text) {
  const re = /evaluateTerminalCommandSecurity\(\s*"(\w+)",\s*/g; let m;
  while ((m = re.exec(text))) {
    const q = re.lastIndex; if (!/["'`]/.test(text[q])) continue;
    const [command, e] = jsString(text, q);
    const tail = text.slice(e, e + 200); const r = /toBe\("(\w+)"\)/.exec(tail);
    if (command === null || !r) continue;
    const input = m[1], result = r[1];
    if (/^(format|del|rmdir|rd|erase|copy|move|dir|type|powershell|Remove-Item|Get-|Set-|cmd)\b/i.test(command) || /[A-Za-z]:\\/.test(command)) { exclude('continue', path, command, 'Windows cmd.exe/PowerShell command, not a Linux shell command'); continue; }
    if (STRICT[result] > STRICT[input]) add('continue', path, command, 'unsafe', `${input} -> ${result}`);
    else if (input === 'allowedWithoutPermission' && result === input) add('continue', path, command, 'safe', `${input} -> ${result}`);
    else exclude('continue', path, command, `the evaluator kept the configured level "${input}" -> "${result}": no judgement about the command`);
  }
}

// ---- Amazon Q: ("cmd", bool) tuples in test_requires_acceptance_for_readonly_commands
function amazonQ(path, text) {
  for (const fn of ['test_requires_acceptance_for_readonly_commands', 'test_requires_acceptance_for_windows_commands', 'test_requires_acceptance_allowed_commands']) {
    const s = text.indexOf(`fn ${fn}`); if (s < 0) continue;
    const e = text.indexOf('for (cmd, expected)', s); const body = text.slice(s, e);
    const re = /\(\s*(r#*"|")/g; let m;
    while ((m = re.exec(body))) {
      const [command, end] = rustString(body, m.index + m[0].length - m[1].length);
      const b = /^\s*,\s*(true|false)\s*,?\s*\)/.exec(body.slice(end)); if (!b) continue;
      if (fn !== 'test_requires_acceptance_for_readonly_commands') {
        exclude('amazon-q', path, command, fn.includes('windows') ? 'Windows cmd.exe command (Windows-only test)' : 'label depends on the test\'s configured allowed-command list, not on what the command does');
        continue;
      }
      add('amazon-q', path, command, b[1] === 'true' ? 'unsafe' : 'safe', `requires_acceptance = ${b[1]}`);
    }
  }
}

// ---- Roo Code: containsDangerousSubstitution("...") -> true is unsafe
function roo(path, text) {
  const re = /containsDangerousSubstitution\(\s*(["'`])/g; let m;
  while ((m = re.exec(text))) {
    const [command, e] = jsString(text, re.lastIndex - 1);
    const r = /^\s*\)\s*\)\.toBe\((true|false)\)/.exec(text.slice(e)); if (command === null || !r) continue;
    if (r[1] === 'true') add('roo-code', path, command, 'unsafe', 'containsDangerousSubstitution = true');
    else exclude('roo-code', path, command, '"no dangerous substitution" is not a harmlessness label (many are node -e programs or fragments)');
  }
  const re2 = /getCommandDecision\(/g;
  while ((m = re2.exec(text))) exclude('roo-code', path, '(getCommandDecision cases)', 'decision depends on the test\'s configured allow/deny lists');
}

const extractors = {
  codex: { 'codex-rs/core/src/command_safety/is_safe_command.rs': codex, 'codex-rs/core/src/command_safety/is_dangerous_command.rs': codex },
  'gemini-cli': { 'packages/core/src/sandbox/utils/commandSafety.test.ts': geminiSandbox, 'packages/core/src/policy/shell-safety.test.ts': geminiShellSafety },
  continue: { 'packages/terminal-security/test/terminalCommandSecurity.test.ts': cont },
  'amazon-q': { 'crates/chat-cli/src/cli/chat/tools/execute/mod.rs': amazonQ },
  'roo-code': { 'webview-ui/src/utils/__tests__/command-validation.spec.ts': roo, 'src/core/auto-approval/__tests__/commands.spec.ts': roo },
};

// Codex's repository snapshot is larger than the mirror tool can bring (757 MB); when its git dir is
// absent, the test-case data (argv + expectation only) transcribed from the two pinned files is used.
const CODEX_TRANSCRIBED = [
  ['is_safe_command.rs', true, ['ls']], ['is_safe_command.rs', true, ['git', 'status']],
  ['is_safe_command.rs', true, ['sed', '-n', '1,5p', 'file.txt']], ['is_safe_command.rs', true, ['nl', '-nrz', 'Cargo.toml']],
  ['is_safe_command.rs', true, ['find', '.', '-name', 'file.txt']],
  ['is_safe_command.rs', false, ['foo']], ['is_safe_command.rs', false, ['git', 'fetch']], ['is_safe_command.rs', false, ['sed', '-n', 'xp', 'file.txt']],
  ['is_safe_command.rs', false, ['find', '.', '-name', 'file.txt', '-exec', 'rm', '{}', ';']],
  ['is_safe_command.rs', false, ['find', '.', '-name', '*.py', '-execdir', 'python3', '{}', ';']],
  ['is_safe_command.rs', false, ['find', '.', '-name', 'file.txt', '-ok', 'rm', '{}', ';']],
  ['is_safe_command.rs', false, ['find', '.', '-name', '*.py', '-okdir', 'python3', '{}', ';']],
  ['is_safe_command.rs', false, ['find', '.', '-delete', '-name', 'file.txt']],
  ['is_safe_command.rs', false, ['find', '.', '-fls', '/etc/passwd']], ['is_safe_command.rs', false, ['find', '.', '-fprint', '/etc/passwd']],
  ['is_safe_command.rs', false, ['find', '.', '-fprint0', '/etc/passwd']],
  ['is_safe_command.rs', false, ['find', '.', '-fprintf', '/root/suid.txt', '%#m %u %p\n']],
  ['is_safe_command.rs', true, ['rg', 'Cargo.toml', '-n']],
  ['is_safe_command.rs', false, ['rg', '--search-zip', 'files']], ['is_safe_command.rs', false, ['rg', '-z', 'files']],
  ['is_safe_command.rs', false, ['rg', '--pre', 'pwned', 'files']], ['is_safe_command.rs', false, ['rg', '--pre=pwned', 'files']],
  ['is_safe_command.rs', false, ['rg', '--hostname-bin', 'pwned', 'files']], ['is_safe_command.rs', false, ['rg', '--hostname-bin=pwned', 'files']],
  ['is_safe_command.rs', true, ['bash', '-lc', 'ls']], ['is_safe_command.rs', true, ['bash', '-lc', 'ls -1']],
  ['is_safe_command.rs', true, ['bash', '-lc', 'git status']], ['is_safe_command.rs', true, ['bash', '-lc', 'grep -R "Cargo.toml" -n']],
  ['is_safe_command.rs', true, ['bash', '-lc', 'sed -n 1,5p file.txt']], ['is_safe_command.rs', true, ['bash', '-lc', "sed -n '1,5p' file.txt"]],
  ['is_safe_command.rs', true, ['bash', '-lc', 'find . -name file.txt']],
  ['is_safe_command.rs', true, ['bash', '-lc', 'grep -R "Cargo.toml" -n || true']], ['is_safe_command.rs', true, ['bash', '-lc', 'ls && pwd']],
  ['is_safe_command.rs', true, ['bash', '-lc', "echo 'hi' ; ls"]], ['is_safe_command.rs', true, ['bash', '-lc', 'ls | wc -l']],
  ['is_safe_command.rs', false, ['bash', '-lc', 'git', 'status']], ['is_safe_command.rs', false, ['bash', '-lc', "'git status'"]],
  ['is_safe_command.rs', false, ['bash', '-lc', 'find . -name file.txt -delete']], ['is_safe_command.rs', false, ['bash', '-lc', 'ls && rm -rf /']],
  ['is_safe_command.rs', false, ['bash', '-lc', '(ls)']], ['is_safe_command.rs', false, ['bash', '-lc', 'ls || (pwd && echo hi)']],
  ['is_safe_command.rs', false, ['bash', '-lc', 'ls > out.txt']],
  ['is_dangerous_command.rs', true, ['git', 'reset']], ['is_dangerous_command.rs', true, ['bash', '-lc', 'git reset --hard']],
  ['is_dangerous_command.rs', false, ['git', 'status']], ['is_dangerous_command.rs', false, ['bash', '-lc', 'git status']],
  ['is_dangerous_command.rs', true, ['sudo', 'git', 'reset', '--hard']], ['is_dangerous_command.rs', true, ['/usr/bin/git', 'reset', '--hard']],
  ['is_dangerous_command.rs', true, ['rm', '-rf', '/']], ['is_dangerous_command.rs', true, ['rm', '-f', '/']],
];
function codexTranscribed() {
  for (const [file, value, argv] of CODEX_TRANSCRIBED) {
    const path = `codex-rs/core/src/command_safety/${file}`;
    const dangerousFn = file.startsWith('is_dangerous');
    const fn = dangerousFn ? 'command_might_be_dangerous' : (argv[0] === 'bash' ? 'is_known_safe_command' : 'is_safe_to_call_with_exec');
    if (argv.length === 4 && argv[0] === 'bash') { exclude('codex', path, argv.join(' '), 'four-argument bash -lc form: a calling-convention test of Codex\'s argv API, not a shell command line'); continue; }
    if (argv[2] === "'git status'") { exclude('codex', path, argv.join(' '), 'quoting test of Codex\'s argv API (a program literally named "git status"), not a command line'); continue; }
    const command = argvToCommand(argv);
    if (CODEX_EXCLUDE[command]) { exclude('codex', path, command, CODEX_EXCLUDE[command]); continue; }
    const label = dangerousFn ? (value ? 'unsafe' : 'safe') : (value ? 'safe' : 'unsafe');
    add('codex', path, command, label, `${fn} = ${value} (transcribed)`);
  }
}

mkdirSync(out, { recursive: true });
let missing = 0;
for (const [peer, files] of Object.entries(extractors)) {
  if (peer === 'codex' && show(peer, Object.keys(files)[0]) === null) { codexTranscribed(); }
  else for (const [path, fn] of Object.entries(files)) {
    const text = show(peer, path);
    if (text === null) { process.stderr.write(`skip ${peer}: ${PINS[peer].repo} ${path} not available under ${mirrors}\n`); missing++; continue; }
    fn(path, text);
  }
  if (!cases[peer]) continue;
  const seen = new Set(); const rows = [];
  for (const c of cases[peer]) { const k = c.command + '\0' + c.label; if (!seen.has(k)) { seen.add(k); rows.push(c); } }
  writeFileSync(join(out, `${peer}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  process.stderr.write(`${peer}: ${rows.filter((r) => r.label === 'safe').length} safe, ${rows.filter((r) => r.label === 'unsafe').length} unsafe\n`);
}
const seenEx = new Set();
writeFileSync(join(out, 'excluded.jsonl'), excluded.filter((x) => { const k = JSON.stringify(x); if (seenEx.has(k)) return false; seenEx.add(k); return true; }).map((x) => JSON.stringify(x)).join('\n') + '\n');
process.stderr.write(`excluded: ${seenEx.size}${missing ? `; ${missing} source file(s) unavailable, their previous output kept` : ''}\n`);
