import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../types';
import { loadDefaultPolicy } from './load';
import type { ShellPolicy } from './shell-policy';

let policy: ShellPolicy;
beforeAll(async () => {
  policy = await loadDefaultPolicy();
});

const decide = (command: string): Decision => policy.evaluate({ command, host: 'localhost', requester: 'test' }).decision;

/**
 * `for` loops over literals or a static glob walk their body once per value (script.ts
 * unrolled()); a whole double-quoted `"$f"` bound to a glob is judged as that glob (words.ts).
 * Long lists of plain literals are walked per value too, within a work budget.
 */
describe('loops: the loop variable as data', () => {
  it.each([
    'for f in /var/log/*.log; do tail -1 "$f"; done',
    'for f in /var/log/*.log; do tail -1 "${f}"; done',
    'for h in web1 web2; do ping -c1 "$h"; done',
    'for u in root deploy; do id "$u"; done',
    'for f in /var/log/*.log; do echo "$f"; wc -l "$f"; done',
    'for f in /var/log/*.log; do cat < "$f"; done',
    'for f in /etc/hostname /etc/os-release; do cat "$f"; done',
  ])('%s -> allow', (command) => expect(decide(command)).toBe('allow'));

  it.each([
    // Unquoted: split and globbed again, so any number of words, options included.
    'for f in /var/log/*.log; do tail -1 $f; done',
    // As the program name, or mixed with other text (not one of the glob's matches).
    'for f in /var/log/*.log; do "$f"; done',
    'for f in /var/log/*.log; do tail -1 "$f.bak"; done',
    'for f in /var/log/*.log; do rm "$f"; done',
    // A computed list, or a `read` variable used as a file operand (it could name /etc/shadow).
    'for f in $(cat list); do cat "$f"; done',
    'while read f; do cat "$f"; done < list.txt',
    'while read ip; do getent hosts "$ip"; done < hosts.txt',
    // `break` may stop at any round: after the loop the variable is any of its values.
    'for c in "rm -rf /srv" ls; do break; done; $c',
    'for PATH in /tmp; do ls; done',
  ])('%s -> not allowed', (command) => expect(decide(command)).not.toBe('allow'));

  it.each([
    'for f in /etc/sha*; do cat "$f"; done',
    'for f in /root/.ssh/*; do head -1 "$f"; done',
    'for f in /etc/passwd /etc/shadow; do cat "$f"; done',
    'for c in ls "rm -rf /"; do $c; done',
  ])('%s -> deny (judged like the glob or each value)', (command) => expect(decide(command)).toBe('deny'));

  it('keeps the work bounded for many or nested loops', () => {
    // Plain literal words (a glob the fleet expanded on the host, say) are judged one by one up to a budget...
    const values = Array.from({ length: 40 }, (_, i) => `h${i}`).join(' ');
    expect(decide(`for h in ${values}; do ping -c1 "$h"; done`)).toBe('allow');
    expect(decide(`for h in ${values} 'h;reboot'; do ping -c1 "$h"; done`)).toBe('allow');
    expect(decide(`for f in ${values} /etc/shadow; do cat "$f"; done`)).toBe('deny');
    // ...past it the body is walked once with the variable unknown.
    const many = Array.from({ length: 2000 }, (_, i) => `h${i}`).join(' ');
    expect(decide(`for h in ${many}; do ping -c1 "$h"; done`)).toBe('ask');
    const square = Array.from({ length: 1000 }, (_, i) => `/var/log/f${i}`).join(' ');
    expect(decide(`for a in ${square}; do for b in ${square}; do cat "$a" "$b"; done; done`)).toBe('ask');
    const nested = `for a in 1 2 3 4; do for b in 1 2 3 4; do for c in 1 2 3 4; do for d in 1 2 3 4; do echo "$a$b$c$d"; done; done; done; done`;
    expect(decide(nested)).toBe('allow');
  });
});
