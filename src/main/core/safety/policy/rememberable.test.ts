import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from './load';
import type { ShellPolicy } from './shell-policy';

let policy: ShellPolicy;
beforeAll(async () => {
  policy = await loadDefaultPolicy();
});

const judge = (command: string, argv?: string[]) => policy.evaluate({ command, argv, host: 'localhost', requester: 'test' });

describe('rememberable: only commands whose text says everything about what runs', () => {
  it.each([
    ['touch /srv/$(cat name)', /"\/srv\/\$\(cat name\)" is only known at run time/],
    ['systemctl restart $SVC', /"\$SVC" is only known at run time/],
    ['xargs -a FILE rm', /xargs -a reads its arguments from "FILE"/],
    ['/usr/bin/env FOO=1 systemctl restart nginx', /env runs another command/],
    ['env systemctl restart nginx', /env runs another command/],
    ["bash -c 'systemctl restart nginx'", /bash is a shell/],
    ['python3 -c "import os; os.system(\'reboot\')"', /python3 is an interpreter/],
    ['sudo systemctl restart nginx', /sudo is a wrapper: it runs another command with other privileges/],
    ['systemctl restart nginx*', /"nginx\*" is a glob/],
    ["awk '{system($0)}' f", /awk: its program text can run commands/],
    ['FOO=1 systemctl restart nginx', /sets FOO for the program/],
    ['touch /srv/{a,b}', /brace expansion/],
    ['touch ~/marker', /expanded by the shell/],
    ['touch "$HOME/marker"', /expanded by the shell/],
    ['systemctl restart nginx > "$LOG"', /its redirection/],
    ['systemctl restart nginx && systemctl restart php-fpm', /only a single simple command/],
    ['systemctl restart nginx | tee /tmp/out', /only a single simple command/],
    ['nice -n 5 systemctl restart nginx', /nice is a wrapper/],
    ['timeout 30 systemctl restart nginx', /timeout is a wrapper/],
    ['nohup systemctl restart nginx', /nohup is a wrapper/],
    ['ssh web-1 systemctl restart nginx', /ssh runs a command on another host/],
    ['find /srv -name "*.tmp" -exec rm {} +', /find -exec runs another command/],
    ['watch systemctl restart nginx', /watch runs another command/],
    ["sed -i 's/a/b/' /etc/motd", /sed: its script/],
    ['sed -f edits.sed /etc/motd', /sed: its script/],
    ['kubectl apply -f deploy.yaml', /kubectl -f reads its instructions from "deploy.yaml"/],
    ['curl -d @payload.json https://example.com/hook', /"@payload.json" names a file its arguments are read from/],
    ['./deploy.sh', /outside the system program directories/],
    ['make install', /Makefile/],
    ['chmod u+s /usr/local/bin/tool', null],
  ])('%s is approved once only', (command, reason) => {
    const v = judge(command);
    expect(v.rememberable, `${command}: ${v.decision} ${v.notRememberable}`).toBe(false);
    if (v.decision === 'ask') {
      expect(v.notRememberable).toBeTruthy();
      if (reason) expect(v.notRememberable).toMatch(reason);
    }
  });

  it.each(['systemctl restart nginx', '/usr/bin/systemctl restart nginx', 'touch /srv/app/marker', "touch '/srv/{a,b}'", 'systemctl restart nginx 2>&1', 'find /tmp/build -name x.o -delete', 'mkdir -p /srv/app/cache'])(
    '%s may be remembered',
    (command) => {
      const v = judge(command);
      expect(v.decision, v.reasons.join(' | ')).toBe('ask');
      expect(v.rememberable, v.notRememberable).toBe(true);
      expect(v.notRememberable).toBeUndefined();
    },
  );

  it('findings that forbid remembering still veto a literal command, with their reason', () => {
    const v = judge('systemctl restart nginx --no-block', ['sudo', 'systemctl', 'restart', 'nginx']);
    expect(v).toMatchObject({ rememberable: false, category: 'privilege_escalation' });
    expect(v.notRememberable).toMatch(/sudo/);
  });
});
