import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from './load';
import { readsDifferentlyFromBash } from './posix-shell';

// Strings handed to /bin/sh (dash on Debian) are read with bash's grammar by the policy;
// where the two disagree the string is never allowed (found by the execve oracle).
describe('strings another shell runs', () => {
  const policy = loadDefaultPolicy();
  const decide = async (command: string) => (await policy).evaluate({ command, host: 'localhost', requester: 'test' }).decision;

  it('ask when sh, dash, watch or find -exec sh would read bash-only syntax differently', async () => {
    for (const command of [
      `sh -c "echo \\$'\\\\'; rm -rf /srv #'"`,
      `dash -c "echo \\$'\\\\'; id #'"`,
      `find . -maxdepth 0 -exec sh -c "echo \\$'\\\\'; id #'" \\;`,
      `watch -n 60 "echo \\$'\\\\'; id #'"`,
      `sh -c 'echo &>/dev/null id'`,
      `sh -c '((id))'`,
    ]) {
      expect({ command, decision: await decide(command) }).toEqual({ command, decision: expect.not.stringMatching(/^allow$/) });
    }
  });

  it('bash strings and plain POSIX strings are judged as before', async () => {
    expect(await decide(`bash -c "echo \\$'a\\tb'"`)).toBe('allow');
    expect(await decide(`sh -c 'uptime; df -h'`)).toBe('allow');
    expect(readsDifferentlyFromBash('bash', `echo $'x'`)).toBeNull();
    expect(readsDifferentlyFromBash('dash', `echo $'x'`)).toMatch(/ANSI-C/);
  });
});
