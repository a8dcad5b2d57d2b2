import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../types';
import { loadDefaultPolicy } from './load';
import { CallGraph } from './recursion';
import type { ShellPolicy } from './shell-policy';

let policy: ShellPolicy;
beforeAll(async () => {
  policy = await loadDefaultPolicy();
});

function expectDecision(command: string, decision: Decision): void {
  const v = policy.evaluate({ command, host: 'localhost', requester: 'test' });
  expect({ command, decision: v.decision }, v.reasons.join(' | ')).toEqual({ command, decision });
}

describe('recursion: the call graph', () => {
  const spawn = (callee: string, conditional = false) => ({ callee, spawns: true, conditional });
  const plain = (callee: string, conditional = false) => ({ callee, spawns: false, conditional });

  it('finds a function that calls itself in the background or a pipeline', () => {
    const g = new CallGraph();
    g.define('f', 'f(){ f | f & }');
    g.call('f', spawn('f'));
    expect(g.runaways()).toEqual([{ kind: 'runaway_recursion', name: 'f', text: 'f(){ f | f & }', certain: true }]);
  });

  it('follows cycles through other functions, and conditions make them uncertain', () => {
    const g = new CallGraph();
    for (const n of ['a', 'b', 'c', 'd']) g.define(n, n);
    g.call('a', spawn('b'));
    g.call('b', plain('a'));
    g.call('c', spawn('d'));
    g.call('d', plain('c', true));
    expect(g.runaways().map((r) => [r.name, r.certain])).toEqual([
      ['a', true],
      ['c', false],
    ]);
  });

  it('leaves recursion without new processes, and spawning without recursion, alone', () => {
    const g = new CallGraph();
    g.define('f', 'f');
    g.define('g', 'g');
    g.call('f', plain('f'));
    g.call('g', spawn('ls'));
    expect(g.runaways()).toEqual([]);
  });
});

describe('recursion: fork bombs are denied', () => {
  it.each([
    ':(){ :|:& };:',
    ':(){ :|: & }; :',
    'bomb(){ bomb|bomb& };bomb',
    'f(){ f & f; }; f',
    'f(){ f& f& }; f',
    'f(){ f | f; }; f',
    'f(){ (f &); f; }; f',
    'f(){ f <(f); }; f',
    'f(){ f & }; f',
    'function f { f | f & }; f',
    'f() ( f | f & ); f',
    '_(){ _|_& };_',
    'a(){ b|b& }; b(){ a; }; a',
    ':(){ :|:& }',
    "bash -c 'f(){ f|f& }; f'",
    "eval ':(){ :|:& };:'",
    "sh -c ':(){ :|:& };:'",
  ])('%s -> deny', (command) => expectDecision(command, 'deny'));

  it('asks when the recursion stops on a condition', () => {
    expectDecision('f(){ [ -e /tmp/stop ] || f | f; }; f', 'ask');
    expectDecision('walk(){ for d in "$1"/*/; do [ -d "$d" ] && walk "$d" & done; wait; }; walk /srv', 'ask');
  });

  it('asks for a function run in the background, like any background command', () => {
    expectDecision('f(){ ls; }; f &', 'ask');
  });

  it('allows functions that only call other commands', () => {
    expectDecision('f(){ ls | wc -l; }; f', 'allow');
    expectDecision('f(){ ls; }; g(){ f | wc -l; }; g', 'allow');
  });
});
