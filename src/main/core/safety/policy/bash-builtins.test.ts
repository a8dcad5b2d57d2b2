import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../types';
import { builtinUses, splitAssignment, type BuiltinUse } from './bash-builtins';
import { loadDefaultPolicy } from './load';
import type { ShellPolicy } from './shell-policy';
import { staticWord } from './words';

let policy: ShellPolicy;
beforeAll(async () => {
  policy = await loadDefaultPolicy();
});

function expectDecision(command: string, decision: Decision): void {
  const v = policy.evaluate({ command, host: 'localhost', requester: 'test' });
  expect({ command, decision: v.decision }, v.reasons.join(' | ')).toEqual({ command, decision });
}

/** The uses of a builtin's arguments, as `kind:text`. */
function uses(line: string): string[] {
  const [program, ...args] = line.split(' ');
  const show = (u: BuiltinUse): string => (u.kind === 'command' ? `command:${u.words.map((w) => w.text).join(' ')}` : `${u.kind}:${u.word.text}${u.kind === 'code' ? u.appended : ''}`);
  return builtinUses(program as string, args.map(staticWord)).map(show);
}

describe('bash-builtins: which arguments a builtin evaluates', () => {
  it('finds variable names, option values included', () => {
    expect(uses('read -r -p prompt a b')).toEqual(['name:a', 'name:b']);
    expect(uses('read -a arr -t 5')).toEqual(['name:arr']);
    expect(uses('mapfile -t -O 1 lines')).toEqual(['name:lines']);
    expect(uses('printf -v out %s x')).toEqual(['name:out']);
    expect(uses('printf -vout %s x')).toEqual(['name:out']);
    expect(uses('wait -n -p pid')).toEqual(['name:pid']);
    expect(uses('getopts ab opt -a')).toEqual(['name:opt']);
    expect(uses('unset -v a b')).toEqual(['name:a', 'name:b']);
    expect(uses('unset -f f')).toEqual([]);
    expect(uses('test -v x')).toEqual(['name:x']);
    expect(uses('[ -v x ]')).toEqual(['name:x']);
  });

  it('finds expressions, operands, callbacks, word lists, functions and commands', () => {
    expect(uses('let x=1 y++')).toEqual(['expression:x=1', 'expression:y++']);
    expect(uses('test 1 -lt 2')).toEqual(['test_operand:1', 'test_operand:2']);
    expect(uses('mapfile -C cb -c 1 arr')).toEqual(['code:cb 0 "$1"', 'name:arr']);
    expect(uses('readarray -tCcb arr')).toEqual(['code:cb 0 "$1"', 'name:arr']);
    expect(uses('compgen -W words -F fn -C cmd x')).toEqual(['expanded:words', 'function:fn', 'code:cmd "$1" "$2" "$3"']);
    expect(uses('trap cmd EXIT')).toEqual(['code:cmd']);
    expect(uses('trap - INT')).toEqual([]);
    expect(uses('trap INT')).toEqual([]);
    expect(uses('jobs -x kill %1')).toEqual(['command:kill %1']);
    expect(uses('jobs -l')).toEqual([]);
  });

  it('reads declarations after quote removal, -i values as expressions and -n values as names', () => {
    expect(uses('declare a[i]=1 b')).toEqual(['name:a[i]', 'name:b']);
    expect(uses('declare -i n=x+1')).toEqual(['name:n', 'expression:x+1']);
    expect(uses('local -n ref=a[i]')).toEqual(['name:ref', 'name:a[i]']);
    expect(uses('declare -f a=b')).toEqual([]);
    expect(splitAssignment('a[x=1]+=2')).toEqual({ name: 'a[x=1]', value: '2' });
    expect(splitAssignment('plain')).toBeNull();
  });
});

describe('bash-builtins: subscripts of the names builtins are given run commands', () => {
  it.each([
    "read 'a[$(rm -rf /srv)]'",
    "read -a 'a[$(rm -rf /srv)]'",
    "mapfile 'a[$(rm -rf /srv)]' < /etc/hosts",
    "test -v 'a[$(rm -rf /srv)]'",
    "[ -v 'a[$(rm -rf /srv)]' ]",
    "[[ -v 'a[$(rm -rf /srv)]' ]]",
    "printf -v 'a[$(rm -rf /srv)]' x",
    "printf -v'a[$(rm -rf /srv)]' x",
    "declare 'a[$(rm -rf /srv)]=1'",
    "typeset 'a[$(rm -rf /srv)]=1'",
    "local 'a[$(rm -rf /srv)]=1'",
    "export 'a[$(rm -rf /srv)]=1'",
    "export -n 'a[$(rm -rf /srv)]'",
    "readonly 'a[$(rm -rf /srv)]=1'",
    "declare -n r='a[$(rm -rf /srv)]'",
    "local -n r='a[$(rm -rf /srv)]'",
    "typeset -n 'r=a[$(rm -rf /srv)]'",
    "unset 'a[$(rm -rf /srv)]'",
    "unset -v 'a[$(rm -rf /srv)]'",
    "wait -p 'a[$(rm -rf /srv)]'",
    "getopts ab 'a[$(rm -rf /srv)]'",
    "declare -A A; read 'A[$(rm -rf /srv)]' <<< 1",
    "builtin read 'a[$(rm -rf /srv)]'",
    "command printf -v 'a[$(rm -rf /srv)]' x",
    // bash's test reads these operands as numbers, [[ ]] and ksh's test as expressions.
    "[ 'a[$(rm -rf /srv)]' -eq 1 ]",
    "test x -lt 'a[$(rm -rf /srv)]'",
    "eval 'read \"a[\\$(rm -rf /srv)]\"'",
  ])('%s -> deny', (command) => expectDecision(command, 'deny'));

  it.each(['read "$x"', 'printf -v "$x" %s y', 'x=$(cat /tmp/x); test -v "$x"', 'x=$(cat /tmp/x); unset "$x"', 'x=$(cat /tmp/x); declare "$x=1"'])('%s -> ask (a name only known at run time)', (command) =>
    expectDecision(command, 'ask'),
  );
});

describe('bash-builtins: callbacks, word lists and commands builtins run', () => {
  it.each([
    ["mapfile -C 'rm -rf /srv' arr < /etc/hosts", 'deny'],
    ["readarray -C 'rm -rf /srv' arr < /etc/hosts", 'deny'],
    ["mapfile -C'rm -rf /srv' -c1 a < /etc/hosts", 'deny'],
    ["readarray -tC 'rm -rf /srv' a < /etc/hosts", 'deny'],
    ['mapfile -C eval arr < /tmp/x', 'ask'],
    ['mapfile -C"$cb" arr < /etc/hosts', 'ask'],
    ["compgen -C 'rm -rf /srv' x", 'deny'],
    ["compgen -W '$(rm -rf /srv)' x", 'deny'],
    ['compgen -W "\\$(rm -rf /srv)" x', 'deny'],
    ["compgen -W '`rm -rf /srv`' x", 'deny'],
    ['compgen -C "$(echo rm -rf /srv)" x', 'ask'],
    ["complete -C 'rm -rf /srv' x", 'deny'],
    ['compgen -F f x', 'ask'],
    ['f(){ rm -rf /srv; }; compgen -F f x', 'deny'],
    ["trap 'rm -rf /srv' EXIT", 'deny'],
    ['trap "$x" EXIT', 'ask'],
    ['jobs -x rm -rf /srv', 'deny'],
    ['jobs -lx rm -rf /srv', 'deny'],
  ] as const)('%s -> %s', (command, decision) => expectDecision(command, decision));
});

describe('bash-builtins: ordinary uses stay allowed', () => {
  it.each([
    'read -r line',
    'read -r a b <<< "x y"',
    'mapfile -t lines < /etc/hosts',
    'readarray -t a < /etc/hosts; echo "${a[0]}"',
    'mapfile -t arr < <(ls); echo ${#arr[@]}',
    'test -v HOME',
    '[ -v HOME ]',
    '[[ -v HOME ]]',
    'printf -v x %s hi; echo $x',
    'getopts ab opt',
    'declare -p HOME',
    'local x',
    'unset x',
    'declare -a arr',
    'export LANG=C',
    'compgen -c | head',
    'compgen -A function',
    'trap -p',
    'jobs -l',
    'wait',
    'command -v read',
    'f(){ ls; }; f',
    'x=5; [ "$x" -gt 3 ]',
  ])('%s -> allow', (command) => expectDecision(command, 'allow'));
});
