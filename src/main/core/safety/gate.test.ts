import { describe, expect, it } from 'vitest';
import { isApprovedCommand, loadDefaultPolicy, rememberedVerdictOf, SafetyGate, type RememberedRuleMatch } from './index';

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
    const verdict = rememberedVerdictOf(policy.evaluate({ command: 'systemctl restart nginx', host: 'web-1', requester: 't' }));
    const rules = { match: (command: string, host: string) => (host === 'web-1' && (command === 'systemctl restart nginx' || command === 'rm -rf /') ? { id: 'r1', scope: 'host', target: 'web-1', policyVersion: policy.version, verdict } : null) };
    const remembering = new SafetyGate(policy, rules);
    expect(remembering.check({ command: 'systemctl restart nginx', host: 'web-1', requester: 't' }).ok).toBe(true);
    expect(remembering.check({ command: 'systemctl restart nginx', host: 'web-2', requester: 't' }).ok).toBe(false);
    expect(remembering.check({ command: 'systemctl restart  nginx', host: 'web-1', requester: 't' }).ok).toBe(false);
    expect(remembering.check({ command: 'rm -rf /', host: 'web-1', requester: 't' }).verdict.decision).toBe('deny');
  });

  describe('remembered approvals are bound to the verdict they approved', () => {
    const command = 'systemctl restart nginx';
    const request = { command, host: 'web-1', requester: 't' };
    const remembered = (rule: Partial<RememberedRuleMatch>) => ({
      match: (text: string, host: string): RememberedRuleMatch | null =>
        text === command && host === 'web-1' ? { id: 'r1', scope: 'host', target: 'web-1', policyVersion: policy.version, verdict: rememberedVerdictOf(policy.evaluate(request)), ...rule } : null,
    });
    // A user rule that judges restarts more strictly: the remembered "ask mutating" is no longer what the policy says.
    const stricter = policy.withOverrides({
      rules: [{ id: 'user-restart-destructive', program: 'systemctl', subcommand: 'restart', decision: 'ask', category: 'destructive', reason: 'a restart drops connections', match: ['systemctl restart nginx'] }],
    });
    // A user rule about something else: another policy version, the same verdict on this command.
    const unrelated = policy.withOverrides({ rules: [{ id: 'user-other', program: 'frobnicate', decision: 'ask', category: 'mutating', reason: 'frobnicates', match: ['frobnicate'] }] });

    it('a plain command remembered under this policy is allowed next time', () => {
      expect(policy.evaluate(request)).toMatchObject({ decision: 'ask', rememberable: true });
      const result = new SafetyGate(policy, remembered({})).check(request);
      expect(result.ok).toBe(true);
      expect(result.verdict.reasons.at(-1)).toMatch(/allowed by a remembered approval \(host web-1, rule r1\)/);
    });

    it('stops applying when another policy version judges the command differently, and says why', () => {
      expect(stricter.version).not.toBe(policy.version);
      const result = new SafetyGate(stricter, remembered({})).check(request);
      expect(result.ok).toBe(false);
      expect(result.verdict).toMatchObject({ decision: 'ask', category: 'destructive' });
      expect(result.verdict.reasons.at(-1)).toMatch(/remembered approval \(host web-1, rule r1\) no longer applies: the safety policy changed since it was remembered \(policy-\w+ → policy-\w+\) and judges the command differently \(ask mutating \[systemctl-service-state\] → ask destructive \[user-restart-destructive\]\)/);
    });

    it('keeps applying under another policy version that judges the command alike', () => {
      expect(unrelated.version).not.toBe(policy.version);
      expect(new SafetyGate(unrelated, remembered({})).check(request).ok).toBe(true);
    });

    it('does not apply without a recorded verdict, nor to a command that cannot be remembered', () => {
      const legacy = new SafetyGate(policy, remembered({ verdict: null, policyVersion: null })).check(request);
      expect(legacy.ok).toBe(false);
      expect(legacy.verdict.reasons.at(-1)).toMatch(/without the verdict it approved/);
      const glob = 'systemctl restart nginx*';
      const globRule = { match: (text: string) => (text === glob ? { id: 'r2', scope: 'host', target: 'web-1', policyVersion: policy.version, verdict: rememberedVerdictOf(policy.evaluate({ ...request, command: glob })) } : null) };
      const refused = new SafetyGate(policy, globRule).check({ ...request, command: glob });
      expect(refused.ok).toBe(false);
      expect(refused.verdict.reasons.at(-1)).toMatch(/rule r2\) does not apply: "nginx\*" is a glob/);
    });
  });

  it('mints an approved command only for the approved text, the same policy version, and never for a deny', () => {
    const approval = { id: 'a1', command: 'systemctl restart nginx', policyVersion: policy.version };
    expect(gate.checkApproved({ command: 'systemctl restart nginx', host: 'h', requester: 't' }, approval).ok).toBe(true);
    expect(gate.checkApproved({ command: 'systemctl restart nginx; rm -rf /', host: 'h', requester: 't' }, approval).ok).toBe(false);
    expect(gate.checkApproved({ command: 'systemctl restart nginx', host: 'h', requester: 't' }, { ...approval, policyVersion: 'older' }).verdict.reasons[0]).toMatch(/policy changed/);
    expect(gate.checkApproved({ command: 'rm -rf /', host: 'h', requester: 't' }, { ...approval, command: 'rm -rf /' }).ok).toBe(false);
  });
});

describe('SafetyGate on production hosts: the host name typed', () => {
  const approval = { id: 'a-prod', command: 'systemctl restart nginx', policyVersion: policy.version };
  const onProd = { command: 'systemctl restart nginx', host: 'web-1', requester: 't', tags: ['production'] };

  it('mints an approved production ask only when the host was among the names typed', () => {
    const without = gate.checkApproved(onProd, approval);
    expect(without.ok).toBe(false);
    expect(without.verdict.reasons[0]).toMatch(/web-1 is tagged production: approval a-prod needs its name typed/);
    expect(gate.checkApproved(onProd, { ...approval, confirmedHosts: ['web-2'] }).ok).toBe(false);
    expect(gate.checkApproved(onProd, { ...approval, confirmedHosts: ['WEB-1'] }).ok).toBe(false);
    const typed = gate.checkApproved(onProd, { ...approval, confirmedHosts: ['web-1'] });
    expect(typed.ok && isApprovedCommand(typed.command)).toBe(true);
    // Elsewhere a click is enough, and a deny stays a deny whatever was typed.
    expect(gate.checkApproved({ ...onProd, tags: ['web'] }, approval).ok).toBe(true);
    expect(gate.checkApproved({ ...onProd, command: 'rm -rf /' }, { ...approval, command: 'rm -rf /', confirmedHosts: ['web-1'] }).verdict.decision).toBe('deny');
  });

  it('a remembered approval (made before the host was tagged, or for a tag it shares) does not apply on production', () => {
    const verdict = rememberedVerdictOf(policy.evaluate({ ...onProd, tags: ['web'] }));
    const rules = { match: (command: string) => (command === onProd.command ? { id: 'r-web', scope: 'tag', target: 'web', policyVersion: policy.version, verdict } : null) };
    const remembering = new SafetyGate(policy, rules);
    expect(remembering.check({ ...onProd, tags: ['web'] }).ok).toBe(true);
    const prod = remembering.check({ ...onProd, tags: ['web', 'production'] });
    expect(prod.ok).toBe(false);
    expect(prod.verdict).toMatchObject({ decision: 'ask', confirmation: 'typed-host' });
    expect(prod.verdict.reasons.at(-1)).toMatch(/remembered approval \(tag web, rule r-web\) does not apply: web-1 is tagged production/);
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
