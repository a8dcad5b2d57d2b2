import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../shared/protocol';
import { Inventory, type Fleet } from '../fleet';
import { isApprovedCommand, loadDefaultPolicy, SafetyGate, type ApprovedCommand, type AuditSink, type ShellPolicy } from '../safety';
import { Store } from '../store';
import { ApprovalError, ApprovalService, typedConfirmationError } from './approval-service';

describe('typedConfirmationError', () => {
  const hosts = ['web-1', 'web-2', 'dev-1'];
  const needed = [
    { host: 'web-1', tag: 'production' },
    { host: 'web-2', tag: 'prod' },
  ];

  it('accepts every production host typed exactly, in any order, with other hosts of the request or without', () => {
    expect(typedConfirmationError(hosts, needed, ['web-2', 'web-1'])).toBeNull();
    expect(typedConfirmationError(hosts, needed, ['web-1', 'web-2', 'dev-1'])).toBeNull();
    expect(typedConfirmationError(hosts, [], undefined)).toBeNull();
  });

  it('refuses nothing typed, a missing production host, a name the request does not run on, a different case', () => {
    expect(typedConfirmationError(['web-1'], [needed[0]!], undefined)).toBe('web-1 is tagged production: type its name to approve');
    expect(typedConfirmationError(hosts, needed, [])).toMatch(/this runs on 2 production hosts: type the name of each to approve \(web-1 \(tagged production\), web-2 \(tagged prod\)\)/);
    expect(typedConfirmationError(hosts, needed, ['web-1'])).toMatch(/do not include web-2 \(tagged prod\)/);
    expect(typedConfirmationError(hosts, needed, ['web-1', 'web-2', 'db-1'])).toMatch(/"db-1" is not a host this request runs on \(web-1, web-2, dev-1\)/);
    expect(typedConfirmationError(hosts, needed, ['WEB-1', 'web-2'])).toMatch(/"WEB-1" is not a host/);
    // Even where nothing needs typing, a wrong name means the operator is looking at another request.
    expect(typedConfirmationError(['dev-1'], [], ['web-1'])).toMatch(/"web-1" is not a host/);
  });
});

describe('ApprovalService on production hosts', () => {
  let policy: ShellPolicy;
  let store: Store;
  let ran: { host: string; command: string }[];
  let audited: { kind: string; data?: Record<string, unknown> }[];
  let service: ApprovalService;
  let gate: SafetyGate;

  beforeAll(async () => {
    policy = await loadDefaultPolicy();
  });

  const host = (name: string, tags: string[]): Omit<Host, 'transport'> => ({ name, address: '10.0.0.1', port: 22, user: 'ops', identityFile: null, tags, jump: null, privacy: 'default' });

  beforeEach(() => {
    store = Store.inMemory();
    store.hosts.upsert(host('web-1', ['web', 'production']));
    store.hosts.upsert(host('web-2', ['web', 'prod']));
    store.hosts.upsert(host('dev-1', ['web']));
    ran = [];
    audited = [];
    const audit: AuditSink = { record: (entry) => audited.push(entry as { kind: string; data?: Record<string, unknown> }) };
    gate = new SafetyGate(policy, store.rememberedRules, audit);
    // A fleet that only records what it was handed to run (the gate's minted commands).
    const fleet = {
      pathFacts: async () => ({}),
      resolvePathWords: async () => null,
      executor: (h: Host) => ({
        run: async (command: ApprovedCommand) => {
          expect(isApprovedCommand(command)).toBe(true);
          ran.push({ host: h.name, command: command.command });
          return { exitCode: 0, stdout: '', stderr: '', durationMs: 1, error: null };
        },
      }),
    } as unknown as Fleet;
    service = new ApprovalService(store.approvals, gate, fleet, new Inventory(store.hosts), { resume: () => null }, store.rememberedRules, audit);
  });
  afterEach(() => store.close());

  const queue = (command: string, hosts: string[]) => {
    const verdicts = hosts.map((h) => gate.evaluate({ command, host: h, requester: 't', tags: store.hosts.get(h)?.tags }));
    return store.approvals.create({ conversationId: null, command, hosts, category: verdicts[0]!.category, reasons: [...new Set(verdicts.flatMap((v) => v.reasons))], purpose: null, requester: 'test', policyVersion: policy.version, ttlMs: 60_000 });
  };
  const refusal = async (run: Promise<unknown>) => {
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApprovalError);
    return (err as ApprovalError).error;
  };

  it('refuses to approve without the host name, or with a wrong one: nothing runs and the request stays pending', async () => {
    const approval = queue('systemctl restart nginx', ['web-1']);
    expect(approval.reasons[0]).toBe('web-1 is tagged production: type its name to approve');
    const missing = await refusal(service.decide(approval.id, { decision: 'approve', actor: 'test' }));
    expect(missing).toMatchObject({ code: 'confirmation_required', message: expect.stringMatching(/^web-1 is tagged production: type its name to approve; nothing ran, approval .* is still pending$/) });
    expect((await refusal(service.decide(approval.id, { decision: 'approve', confirmHosts: ['web-2'], actor: 'test' }))).code).toBe('confirmation_required');
    expect((await refusal(service.decide(approval.id, { decision: 'approve', confirmHosts: ['web-1 '], actor: 'test' }))).code).toBe('confirmation_required');
    expect(ran).toEqual([]);
    expect(store.approvals.get(approval.id)?.status).toBe('pending');
    // The refused attempts are audited; none is recorded as approved.
    const events = audited.filter((e) => e.kind === 'approval').map((e) => e.data?.event);
    expect(events).toEqual(['confirmation_refused', 'confirmation_refused', 'confirmation_refused']);
    expect(audited.some((e) => e.kind === 'decision')).toBe(false);

    const outcome = await service.decide(approval.id, { decision: 'approve', confirmHosts: ['web-1'], actor: 'test' });
    expect(outcome.results).toMatchObject([{ host: 'web-1', ok: true }]);
    expect(ran).toEqual([{ host: 'web-1', command: 'systemctl restart nginx' }]);
  });

  it('a fan-out needs the name of every production host; other hosts of the request need none', async () => {
    const approval = queue('systemctl restart nginx', ['web-1', 'web-2', 'dev-1']);
    expect((await refusal(service.decide(approval.id, { decision: 'approve', confirmHosts: ['web-1'], actor: 'test' }))).message).toMatch(/do not include web-2 \(tagged prod\)/);
    expect(ran).toEqual([]);
    await service.decide(approval.id, { decision: 'approve', confirmHosts: ['web-2', 'web-1'], actor: 'test' });
    expect(ran.map((r) => r.host).sort()).toEqual(['dev-1', 'web-1', 'web-2']);
  });

  it('asks a click only where no host is tagged production, and denying needs no name', async () => {
    const plain = queue('systemctl restart nginx', ['dev-1']);
    await service.decide(plain.id, { decision: 'approve', actor: 'test' });
    expect(ran).toEqual([{ host: 'dev-1', command: 'systemctl restart nginx' }]);
    const prod = queue('rm -rf /var/www/old', ['web-1']);
    expect((await service.decide(prod.id, { decision: 'deny', actor: 'test' })).approval.status).toBe('denied');
  });

  it('never remembers an approval on production, so the next one needs the name again', async () => {
    const approval = queue('systemctl restart nginx', ['web-1']);
    for (const remember of ['host', 'tag'] as const) {
      const error = await refusal(service.decide(approval.id, { decision: 'approve', remember, tag: 'web', confirmHosts: ['web-1'], actor: 'test' }));
      expect(error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/cannot remember this approval: web-1 is tagged production: every approval there needs its name typed, so none is remembered/) });
    }
    expect(ran).toEqual([]);
    expect(store.rememberedRules.list()).toEqual([]);
    // A rule remembered for the tag web on a host without production does not reach web-1.
    const plain = queue('systemctl restart nginx', ['dev-1']);
    const outcome = await service.decide(plain.id, { decision: 'approve', remember: 'tag', tag: 'web', actor: 'test' });
    expect(outcome.remembered).toMatchObject([{ scope: 'tag', target: 'web' }]);
    expect(gate.evaluate({ command: 'systemctl restart nginx', host: 'dev-1', requester: 't', tags: ['web'] }).decision).toBe('allow');
    expect(gate.evaluate({ command: 'systemctl restart nginx', host: 'web-1', requester: 't', tags: ['web', 'production'] })).toMatchObject({ decision: 'ask', confirmation: 'typed-host' });
  });
});
