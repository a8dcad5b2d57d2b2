import { describe, expect, it } from 'vitest';
import { isApprovedCommand, loadDefaultPolicy, SafetyGate } from './index';

const policy = await loadDefaultPolicy();
const gate = new SafetyGate(policy);
const check = (command: string, argv?: string[]) => gate.check({ command, argv, host: 'localhost', requester: 'test' });

describe('SafetyGate with the default policy', () => {
  it.each(['uptime', 'df -h', 'ps aux', 'systemctl status nginx', 'systemctl --failed', 'journalctl -u ssh -n 50', 'ss -tlnp', 'ip addr', 'last -n 10'])(
    'mints an approved command for read-only %s',
    (command) => {
      const result = check(command);
      expect(result.verdict.decision).toBe('allow');
      expect(result.ok && isApprovedCommand(result.command)).toBe(true);
    },
  );

  it.each([
    ['rm -rf /', 'deny'],
    ['systemctl stop nginx', 'ask'],
    ['journalctl --vacuum-size=1M', 'ask'],
    ['ip link set eth0 down', 'ask'],
    ['dmesg -c', 'ask'],
    ['uptime; rm -rf /', 'deny'],
    ['echo $(reboot)', 'ask'],
    ['sudo uptime', 'ask'],
    ['cat /etc/shadow', 'deny'],
    ['cat /root/.ssh/id_rsa', 'deny'],
  ])('refuses %s (%s)', (command, decision) => {
    const result = check(command);
    expect(result.ok).toBe(false);
    expect(result.verdict.decision).toBe(decision);
    expect(result.verdict.reasons.join(' ')).not.toBe('');
  });

  it('judges argv when given, not the display text', () => {
    expect(check('uptime', ['rm', '-rf', '/']).ok).toBe(false);
  });

  it('runs a plain command without a shell, a compound one with sh -c', () => {
    const plain = check('df -h /');
    expect(plain.ok && plain.command.argv).toEqual(['df', '-h', '/']);
    const compound = check('ps aux | grep sshd');
    expect(compound.ok && compound.command.argv).toBeNull();
  });

  it('refuses objects that only look approved', () => {
    const fake = { command: 'rm -rf /', argv: ['rm', '-rf', '/'], host: 'localhost' };
    expect(isApprovedCommand(fake)).toBe(false);
  });

  it('fails closed when the policy throws', () => {
    const broken = new SafetyGate({ version: 'x', evaluate: () => { throw new Error('boom'); } });
    const result = broken.check({ command: 'uptime', host: 'h', requester: 't' });
    expect(result.ok).toBe(false);
    expect(result.verdict.decision).toBe('deny');
  });

  it('turns only an exactly remembered ask into allow, never a deny', () => {
    const rules = { match: (command: string, host: string) => (host === 'web-1' && (command === 'systemctl restart nginx' || command === 'rm -rf /') ? { id: 'r1', scope: 'host', target: 'web-1' } : null) };
    const remembering = new SafetyGate(policy, rules);
    expect(remembering.check({ command: 'systemctl restart nginx', host: 'web-1', requester: 't' }).ok).toBe(true);
    expect(remembering.check({ command: 'systemctl restart nginx', host: 'web-2', requester: 't' }).ok).toBe(false);
    expect(remembering.check({ command: 'systemctl restart  nginx', host: 'web-1', requester: 't' }).ok).toBe(false);
    expect(remembering.check({ command: 'rm -rf /', host: 'web-1', requester: 't' }).verdict.decision).toBe('deny');
  });

  it('mints an approved command only for the approved text, the same policy version, and never for a deny', () => {
    const approval = { id: 'a1', command: 'systemctl restart nginx', policyVersion: policy.version };
    expect(gate.checkApproved({ command: 'systemctl restart nginx', host: 'h', requester: 't' }, approval).ok).toBe(true);
    expect(gate.checkApproved({ command: 'systemctl restart nginx; rm -rf /', host: 'h', requester: 't' }, approval).ok).toBe(false);
    expect(gate.checkApproved({ command: 'systemctl restart nginx', host: 'h', requester: 't' }, { ...approval, policyVersion: 'older' }).verdict.reasons[0]).toMatch(/policy changed/);
    expect(gate.checkApproved({ command: 'rm -rf /', host: 'h', requester: 't' }, { ...approval, command: 'rm -rf /' }).ok).toBe(false);
  });
});

describe('DeferredPolicy', () => {
  it('refuses everything until loaded, then judges; a failed load keeps refusing', async () => {
    const { DeferredPolicy } = await import('./index');
    let resolve!: (p: typeof policy) => void;
    const deferred = new DeferredPolicy(new Promise((r) => (resolve = r)));
    const g = new SafetyGate(deferred);
    expect(g.check({ command: 'uptime', host: 'h', requester: 't' }).verdict.reasons[0]).toMatch(/still loading/);
    resolve(policy);
    await g.ready();
    expect(g.check({ command: 'uptime', host: 'h', requester: 't' }).ok).toBe(true);
    const failed = new SafetyGate(new DeferredPolicy(Promise.reject(new Error('rule x: example failed'))));
    await expect(failed.ready()).rejects.toThrow(/example failed/);
    expect(failed.check({ command: 'uptime', host: 'h', requester: 't' }).verdict.reasons[0]).toMatch(/failed to load: rule x/);
  });
});
