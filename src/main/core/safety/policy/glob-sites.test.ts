import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy, SafetyGate, type GlobFact } from '../index';
import { quoteShellWord, substituteGlobs } from './glob-sites';

const policy = await loadDefaultPolicy();
const gate = new SafetyGate(policy);
const patterns = (command: string) => policy.globSites(command).map((s) => s.pattern);

/** The facts a host would report: each site of the command matched these names. */
function facts(command: string, names: readonly (readonly string[] | null)[]): GlobFact[] {
  return policy.globSites(command).map((s, i) => ({ start: s.start, end: s.end, word: s.word, matches: names[i] ?? null, ...(names[i] ? {} : { unknown: 'it matches 5000 names, more than the 1000 judged one by one', count: 5000 }) }));
}

describe('glob sites: the glob words the fleet may expand on the host', () => {
  it.each([
    ['grep -i error /var/log/nginx/*', ['/var/log/nginx/*']],
    ['cat /etc/nginx/sites-enabled/*', ['/etc/nginx/sites-enabled/*']],
    ['tail -n 5 /var/log/*.log', ['/var/log/*.log']],
    ['for f in /var/log/*.log; do tail -1 "$f"; done', ['/var/log/*.log']],
    [`cat '/srv/my dir'/*.log "/o'k"/?`, ['/srv/my dir/*.log', "/o'k/?"]],
    ['echo $(cat /x/*) "$(cat /y/*)"', ['/x/*', '/y/*']],
    ['sudo cat /x/*', ['/x/*']],
    ['cat *.log', ['*.log']],
    // Where bash does not expand file names, the word is left as written; the rest still counts.
    ['case x in *) cat /x/*;; esac', ['/x/*']],
    ['[[ a == /x/* ]] && cat /y/*', ['/y/*']],
    ['a=(/x/*); cat /y/*', ['/y/*']],
    ['cd /x && cat *.log; cat /y/*', ['/y/*']],
  ])('%s → %j', (command, expected) => {
    expect(patterns(command)).toEqual(expected);
  });

  it.each([
    ['cat $x/*', 'a glob produced by an expansion'],
    ['cat ~/x/*', 'a tilde'],
    ['cat /x/{a,b}*', 'brace expansion'],
    ['cat /x/*.@(a|b)', 'extglob'],
    ['cat `ls /x/*`', 'backquotes, parsed twice'],
    ['cat <<EOF\n/x/*\nEOF', 'a here-document'],
    ['cat < /x/*', 'a redirection target'],
    ['/usr/bin/ca* /x/*', 'a program name that is a pattern'],
    ['export a=/x/*', 'an assignment'],
    ['command export a=/x/*', 'an assignment through command'],
    ['shopt -s dotglob; cat /x/*', 'shopt changes globbing'],
    ['set -f; cat /x/*', 'set -f turns globbing off'],
    ['GLOBIGNORE=x; cat /x/*', 'GLOBIGNORE'],
    ['LC_ALL=C cat /x/*', 'the collating locale'],
    ['eval cat /x/*', 'eval runs code only known at run time'],
    ['cat /x/\\*', 'an escaped star'],
    ['cat "/x/*"', 'a quoted star'],
    ['cat /x/*; (', 'a syntax error'],
  ])('%s has none (%s)', (command) => {
    expect(policy.globSites(command)).toEqual([]);
  });
});

describe('quoting the names a glob matched', () => {
  const names = ['plain.log', 'a b', "it's", '$(touch PWNED)', '`id`', 'x\ny', 'tab\there', 'esc\x1b[31m', '-rf', '*', 'a=b', '~root', '\\back', 'é'];

  it('bash reads each quoted name back as exactly that word', () => {
    const script = `printf '%s\\0' ${names.map(quoteShellWord).join(' ')}`;
    const out = spawnSync('bash', ['--noprofile', '--norc', '-c', script], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout.split('\0').slice(0, -1)).toEqual(names);
  });

  it('the policy reads them back as the same words', () => {
    const command = substituteGlobs('printf %s X', [{ start: 10, end: 11, words: names }]);
    const verdict = policy.evaluate({ command: `cat ${command.slice('printf %s '.length)}`, host: 'h', requester: 't' });
    expect(verdict.argv).toEqual(['cat', ...names]);
  });

  it('refuses overlapping sites', () => {
    expect(() => substituteGlobs('cat /a/* /b/*', [{ start: 4, end: 8, words: ['x'] }, { start: 6, end: 9, words: ['y'] }])).toThrow();
  });
});

describe('the gate judges and runs the names a glob matched on the host', () => {
  const request = (command: string, names: readonly (readonly string[] | null)[]) => ({ command, host: 'web-1', requester: 'test', globMatches: facts(command, names) });

  it('harmless matches: allowed, and the approved command is the quoted list', () => {
    const command = 'cat /etc/nginx/sites-enabled/*';
    // Judged by its text alone the host decides: a file there may be named like a key.
    expect(gate.evaluate({ command, host: 'web-1', requester: 'test' }).decision).toBe('ask');
    const check = gate.check(request(command, [['/etc/nginx/sites-enabled/default', '/etc/nginx/sites-enabled/my site']]));
    expect(check.ok).toBe(true);
    expect(check.ok && check.command.command).toBe("cat /etc/nginx/sites-enabled/default '/etc/nginx/sites-enabled/my site'");
    expect(check.ok && check.command.argv).toEqual(['cat', '/etc/nginx/sites-enabled/default', '/etc/nginx/sites-enabled/my site']);
    expect(check.verdict.reasons.join(' ')).toMatch(/matched 2 names on web-1, each judged as written/);
  });

  it('a match that is a credential is judged exactly as if typed', () => {
    const verdict = gate.evaluate(request('grep -i error /var/log/nginx/*', [['/var/log/nginx/access.log', '/var/log/nginx/id_rsa']]));
    expect(verdict.decision).toBe(gate.evaluate({ command: 'grep -i error /var/log/nginx/access.log /var/log/nginx/id_rsa', host: 'web-1', requester: 'test' }).decision);
    expect(verdict.decision).toBe('deny');
    expect(verdict.expandedCommand).toBe('grep -i error /var/log/nginx/access.log /var/log/nginx/id_rsa');
  });

  it('a match named like an option is judged as the option it is', () => {
    const verdict = gate.evaluate(request('tar cf /tmp/x.tar *', [['--checkpoint-action=exec=sh', 'a.txt']]));
    expect(verdict.decision).not.toBe('allow');
    expect(verdict.expandedCommand).toBe("tar cf /tmp/x.tar '--checkpoint-action=exec=sh' a.txt");
  });

  it('a link among the matches is judged by its target', () => {
    const command = 'tail -n 5 /var/log/*.log';
    const verdict = gate.evaluate({ ...request(command, [['/var/log/a.log', '/var/log/evil.log']]), resolvedPaths: { '/var/log/evil.log': '/etc/shadow' } });
    expect(verdict.decision).toBe('deny');
    expect(verdict.reasons.join(' ')).toMatch(/evil\.log resolves to \/etc\/shadow/);
  });

  it('no match: the literal word, as bash passes it without nullglob', () => {
    const verdict = gate.evaluate(request('ls /srv/app/*.pid', [['/srv/app/*.pid']]));
    expect(verdict.expandedCommand).toBe("ls '/srv/app/*.pid'");
    expect(verdict.reasons.join(' ')).toMatch(/matched no file on web-1/);
  });

  it('a glob in a for list: every name judged, also past the 16 values loops are unrolled for', () => {
    const names = Array.from({ length: 300 }, (_, i) => `/var/log/app-${i}.log`);
    const command = 'for f in /var/log/*.log; do tail -1 "$f"; done';
    expect(gate.evaluate(request(command, [names])).decision).toBe('allow');
    expect(gate.evaluate(request(command, [[...names, '/var/log/id_rsa']])).decision).not.toBe('allow');
    expect(gate.evaluate(request(command, [[...names.slice(0, 150), '/etc/shadow', ...names.slice(150)]])).decision).toBe('deny');
  });

  it('too many names to judge one by one: asks, with the reason, and the text runs as written', () => {
    const verdict = gate.evaluate(request('cat /proc/*/fd/*', [null]));
    expect(verdict.decision).toBe('ask');
    expect(verdict.reasons.join(' ')).toMatch(/matches 5000 names, more than the 1000 judged one by one on web-1/);
    expect(verdict.rememberable).toBe(false);
    expect(verdict.expandedCommand).toBeUndefined();
    const total = Array.from({ length: 600 }, (_, i) => `/var/log/f${i}`);
    expect(gate.evaluate(request('cat /var/log/* /var/log/*', [total, total])).reasons.join(' ')).toMatch(/more than the 1000 names judged one by one/);
  });

  it('only the sites the policy found for this very text are replaced', () => {
    const command = 'cat /var/log/*.log';
    const [site] = policy.globSites(command);
    const forged = gate.evaluate({ command, host: 'h', requester: 't', globMatches: [{ start: 0, end: 3, word: 'cat', matches: ['rm'] }] });
    expect(forged.expandedCommand).toBeUndefined();
    const wrongWord = gate.evaluate({ command, host: 'h', requester: 't', globMatches: [{ start: site!.start, end: site!.end, word: '/etc/*', matches: ['/etc/shadow'] }] });
    expect(wrongWord.expandedCommand).toBeUndefined();
    const argv = gate.evaluate({ command, argv: ['cat', '/var/log/*.log'], host: 'h', requester: 't', globMatches: facts(command, [['/var/log/a.log']]) });
    expect(argv.expandedCommand).toBeUndefined();
  });

  it('a checked approval of an expanded list runs that list; the glob text is approved only as itself', () => {
    const command = 'rm -f /srv/tmp/*.tmp';
    const asked = gate.evaluate(request(command, [['/srv/tmp/a.tmp']]));
    expect(asked.decision).toBe('ask');
    const approved = gate.checkApproved({ command: asked.expandedCommand as string, host: 'web-1', requester: 'approval:op' }, { id: 'a1', command: asked.expandedCommand as string, policyVersion: gate.policyVersion });
    expect(approved.ok && approved.command.command).toBe('rm -f /srv/tmp/a.tmp');
  });
});
