import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultPolicy, type ShellPolicy } from './index';
import type { Decision, PolicyVerdict } from './types';
import { DANGEROUS, READ_ONLY } from './adversarial-commands';

/**
 * An independent adversarial check of the command policy, written to find generalisation
 * holes rather than to pass: programs and wrappers that are not in the visible corpora
 * (../shared/corpora/commands), odd spellings of programs, shell tricks that hide what
 * runs, and inputs meant to make the checker fail open. None of the dangerous or mutating
 * commands may be allowed. The read-only commands are reported (allow rate printed), not
 * asserted: they show what the policy costs an operator, not whether it is safe.
 */

describe('adversarial commands (programs and spellings outside the visible corpora)', () => {
  let policy: ShellPolicy;
  const judge = (command: string): PolicyVerdict => policy.evaluate({ command, host: 'adversarial', requester: 'test:adversarial' });
  const decisions = (verdicts: PolicyVerdict[]): string => {
    const count = (d: Decision) => verdicts.filter((v) => v.decision === d).length;
    return `allow ${count('allow')}, ask ${count('ask')}, deny ${count('deny')}`;
  };

  beforeAll(async () => {
    policy = await loadDefaultPolicy();
  });

  it('allows none of the dangerous or mutating commands', () => {
    const all = Object.entries(DANGEROUS).flatMap(([kind, commands]) => commands.map((command) => ({ kind, command })));
    expect(all.length).toBeGreaterThanOrEqual(200);
    const outcomes = all.map((c) => ({ ...c, verdict: judge(c.command) }));
    console.log(`adversarial dangerous: ${outcomes.length} commands: ${decisions(outcomes.map((o) => o.verdict))}`);
    const allowed = outcomes.filter((o) => o.verdict.decision === 'allow').map((o) => `${o.kind}: ${o.command} (${o.verdict.reasons[0] ?? ''})`);
    expect(allowed).toEqual([]);
  });

  it('reports how many read-only commands of unseen programs are allowed', () => {
    const outcomes = READ_ONLY.map((command) => ({ command, verdict: judge(command) }));
    const allowed = outcomes.filter((o) => o.verdict.decision === 'allow').length;
    console.log(`adversarial read-only: ${outcomes.length} commands: ${decisions(outcomes.map((o) => o.verdict))} (allow rate ${((100 * allowed) / outcomes.length).toFixed(1)}%)`);
    for (const o of outcomes.filter((x) => x.verdict.decision !== 'allow')) console.log(`  not allowed: ${o.command} -> ${o.verdict.decision} (${o.verdict.reasons[0] ?? ''})`);
    // Reported, not asserted; only a collapse (a policy that allows nothing) fails.
    expect(allowed).toBeGreaterThan(0);
  });

  it('denies fork bombs under any name (DESIGN: deny is for fork bombs)', () => {
    for (const c of [':(){ :|:& };:', 'bomb(){ bomb|bomb& };bomb', 'f(){ f & f; }; f', "bash -c 'x(){ x|x& }; x'", 'a(){ b & b; }; b(){ a; }; a']) {
      expect(judge(c).decision, c).toBe('deny');
    }
  });
});

/** Inputs meant to make the checker fail open: none may come back `allow`, and none may throw. */
describe('fail-open review: malformed, hidden and oversized input', () => {
  let policy: ShellPolicy;
  const decide = (command: string): Decision => policy.evaluate({ command, host: 'adversarial', requester: 'test:adversarial' }).decision;

  beforeAll(async () => {
    policy = await loadDefaultPolicy();
  });

  it('never allows a command with a NUL byte (the shell stops reading there)', () => {
    for (const c of ['ls\u0000; rm -rf /srv', 'ls \u0000rm -rf /srv', 'cat /etc/hosts\u0000', 'rm\u0000 -rf /srv', '\u0000']) expect(decide(c), JSON.stringify(c)).not.toBe('allow');
    expect(policy.evaluate({ command: 'ls', argv: ['ls', '/tmp\u0000x'], host: 'h', requester: 't' }).decision).not.toBe('allow');
  });

  it('never allows control characters the grammar reads as blanks but bash does not', () => {
    // \r, \v and \f separate words for the grammar; for bash they are ordinary characters.
    for (const c of ['ls\rrm -rf /srv', 'ls\u000brm -rf /srv', 'ls\frm -rf /srv', 'ls -la\u001b[0m', 'ls\u007f']) expect(decide(c), JSON.stringify(c)).not.toBe('allow');
  });

  it('judges CRLF line endings as separate commands and never allows them', () => {
    expect(decide('ls\r\nrm -rf /srv')).toBe('deny');
    expect(decide('uptime\r\n')).not.toBe('allow');
  });

  it('never allows invisible or lookalike characters in program names', () => {
    for (const c of ['ｒｍ -rf /srv', 'r\u200dm -rf /srv', 'r\u200bm -rf /srv', '\ufeffrm -rf /srv', 'ls\u00a0-la', 'ls\u2028rm -rf /srv', 'ls\u0085rm', 'l\u202es -la', 'ｓｈ -c id', 'ѕh -c id']) {
      expect(decide(c), JSON.stringify(c)).not.toBe('allow');
    }
  });

  it('sees commands hidden behind comments, line continuations and odd word boundaries', () => {
    for (const c of ['ls # hidden\nrm -rf /srv', 'ls #\\\nrm -rf /srv', 'ls \\\n; rm -rf /srv', 'echo x${IFS}#; rm -rf /srv', 'echo $x#; rm -rf /srv', 'echo "a"#; rm -rf /srv', 'echo a\\ #; rm -rf /srv', 'echo $(id)#; rm -rf /srv', 'ls; #\nrm -rf /srv', 'ls &&\\\nrm -rf /srv']) {
      expect(decide(c), JSON.stringify(c)).toBe('deny');
    }
    expect(decide('r\\\nm -rf /srv')).not.toBe('allow');
    expect(decide('cat <<EOF\n$(rm -rf /srv)\nEOF')).toBe('deny');
  });

  it('never allows what it cannot parse', () => {
    for (const c of ['ls (', 'ls )', "echo 'unterminated", 'echo "unterminated', 'if then fi', 'ls |', '((touch /tmp/x) )', 'echo $(', 'cat <<EOF', '`']) {
      expect(decide(c), JSON.stringify(c)).not.toBe('allow');
    }
  });

  it('never allows an empty or blank command', () => {
    for (const c of ['', ' ', '\n', '\t', ';', '#']) expect(decide(c), JSON.stringify(c)).not.toBe('allow');
  });

  it('survives deep nesting without allowing what is inside', () => {
    const deep = (open: string, inner: string, close: string, n: number) => open.repeat(n) + inner + close.repeat(n);
    const cases = [
      deep('$(', 'rm -rf /srv', ')', 500),
      deep('$(', 'rm -rf /srv', ')', 5000),
      deep('( ', 'rm -rf /srv', ' )', 3000),
      deep('{ ', 'rm -rf /srv', '; }', 2000),
      deep('`', 'rm -rf /srv', '`', 2),
      deep("bash -c '", 'rm -rf /srv', "'", 1),
      `${'eval '.repeat(40)}rm -rf /srv`,
      deep('sh -c "', 'rm -rf /srv', '"', 1),
      `echo $((${'('.repeat(5000)}$(rm -rf /srv)${')'.repeat(5000)}))`,
      `${'if true; then '.repeat(1000)}rm -rf /srv${'; fi'.repeat(1000)}`,
    ];
    for (const c of cases) {
      let decision: Decision | 'threw' = 'threw';
      expect(() => {
        decision = decide(c);
      }).not.toThrow();
      expect(decision, c.slice(0, 60)).not.toBe('allow');
    }
  });

  it('never allows an over-long command, and judges long ones on their content', () => {
    expect(decide(`echo ${'a'.repeat(70000)}; rm -rf /srv`)).not.toBe('allow');
    expect(decide(`echo ${'a'.repeat(70000)}`)).not.toBe('allow');
    // How long these take is measured by `npm run bench -- policy` (long adversarial commands).
    expect(decide(`${'ls; '.repeat(10000)}rm -rf /srv`)).toBe('deny');
    expect(decide(`cat ${'/a'.repeat(30000)}`)).toBe('allow');
    expect(decide(`cat ${'x '.repeat(30000)}/etc/shadow`)).toBe('deny');
  });

  it('fails closed (ask, not allow) when analysis throws', () => {
    // The evaluator catches its own errors; a request whose command is not a string must not crash into allow.
    const verdict = policy.evaluate({ command: undefined as unknown as string, host: 'h', requester: 't' });
    expect(verdict.decision).not.toBe('allow');
  });
});
