import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision, SafetyCategory } from '../types';
import { loadDefaultPolicy } from './load';
import type { ShellPolicy } from './shell-policy';
import { parseShellInvocation } from './shell-startup';
import { staticWord } from './words';

let policy: ShellPolicy;
beforeAll(async () => {
  policy = await loadDefaultPolicy();
});

function expectVerdict(command: string, decision: Decision, category?: SafetyCategory): void {
  const v = policy.evaluate({ command, host: 'localhost', requester: 'test' });
  expect({ command, decision: v.decision, ...(category ? { category: v.category } : {}) }, v.reasons.join(' | ')).toEqual({ command, decision, ...(category ? { category } : {}) });
}

describe('shell-startup: reading a shell invocation as bash does', () => {
  const parse = (line: string) => {
    const inv = parseShellInvocation(line.split(' ').map(staticWord));
    return { letters: [...inv.letters].join(''), long: [...inv.long], files: inv.startupFiles.map((w) => w.text), operands: inv.operands };
  };

  it('reads long options first, with one dash or two', () => {
    expect(parse('--rcfile /tmp/f -i -c true')).toEqual({ letters: 'ic', long: ['rcfile'], files: ['/tmp/f'], operands: 4 });
    expect(parse('-rcfile ls -c cmd')).toEqual({ letters: 'c', long: ['rcfile'], files: ['ls'], operands: 3 });
    expect(parse('-norc --login -c cmd')).toEqual({ letters: 'c', long: ['norc', 'login'], files: [], operands: 3 });
  });

  it('lets -o and -O take the next word, in clusters too', () => {
    expect(parse('-euo pipefail -c cmd')).toEqual({ letters: 'euoc', long: [], files: [], operands: 3 });
    expect(parse('-co history cmd')).toEqual({ letters: 'co', long: [], files: [], operands: 2 });
    expect(parse('-O extglob -c cmd')).toEqual({ letters: 'Oc', long: [], files: [], operands: 3 });
    expect(parse('-c -- cmd')).toEqual({ letters: 'c', long: [], files: [], operands: 2 });
  });
});

describe('shell-startup: shells that run code from files first', () => {
  it.each([
    'bash --rcfile /tmp/f -i -c true',
    'bash -rcfile /tmp/f -i -c true',
    'bash --init-file /tmp/f -c true',
    'bash -i -c true',
    'bash -ic true',
    'sh -i -c true',
    'bash --login -c true',
    'bash -login -c true',
    'bash -l -c true',
    'dash -l -c true',
    'BASH_ENV=/tmp/f bash -c true',
    'ENV=/tmp/f sh -i -c true',
    'env BASH_ENV=/tmp/f bash -c true',
    'exec -l bash -c ls',
    'exec -a -bash bash -c ls',
    'zsh -c ls',
    'bash --debugger -c true',
  ])('%s -> ask', (command) => expectVerdict(command, 'ask', 'code_download_exec'));

  it('judges a startup file as a file read: a secret run as a script prints its lines', () => {
    expectVerdict('bash --rcfile /etc/shadow -i', 'deny', 'credential_access');
    expectVerdict('BASH_ENV=/etc/shadow bash -c true', 'deny', 'credential_access');
    expectVerdict('env BASH_ENV=/etc/shadow bash -c true', 'deny', 'credential_access');
  });

  it('finds the command string behind long options and -o values', () => {
    // bash reads `-rcfile ls` as --rcfile ls, and `-co history` as -c -o history: the command is the next word.
    expectVerdict("bash -rcfile ls -c 'rm -rf /srv'", 'deny');
    expectVerdict("bash -init-file ls -c 'rm -rf /srv'", 'deny');
    expectVerdict("bash -co history 'rm -rf /srv'", 'deny');
    expectVerdict("bash -ceo history 'rm -rf /srv'", 'deny');
  });

  it('allows shells started the way the executor starts them', () => {
    for (const c of ["bash -c 'echo hi'", "bash --noprofile --norc -c 'ls'", "bash -euo pipefail -c 'ls'", "bash -O extglob -c 'ls'", "sh -c 'ls'", "zsh -f -c 'ls'"]) expectVerdict(c, 'allow');
  });
});

describe('shell-startup: ssh -G still reads -F and writes -E', () => {
  it('judges -F as reading the file, -E as writing it', () => {
    expectVerdict('ssh -G -F /etc/shadow host', 'deny', 'credential_access');
    expectVerdict('ssh -F /etc/shadow host ls', 'deny', 'credential_access');
    expectVerdict('ssh -G -F /tmp/x host', 'ask');
    expectVerdict('ssh -G -E /tmp/x host', 'ask', 'mutating');
    // As `>> /etc/cron.d/x` would be.
    expectVerdict('ssh -G -E /etc/cron.d/x host', 'ask', 'privilege_escalation');
    expectVerdict('ssh -G -o Include=/tmp/x host', 'ask');
  });

  it('still allows printing the configuration or version', () => {
    for (const c of ['ssh -G host', 'ssh -V', 'ssh -G -F /dev/null host']) expectVerdict(c, 'allow');
  });
});
