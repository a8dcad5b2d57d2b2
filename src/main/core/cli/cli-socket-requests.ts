import { ApprovalError } from '../agent';
import type { Core } from '../compose';
import { ProviderSettingsError } from '../llm';
import type { DecideWireRequest, ExecWireRequest, WireRequest } from './cli-protocol';
import { execOnCore } from './exec-local';
import { CliFailure } from './exit';

/** One message to the thin client. */
export type Send = (message: Record<string, unknown>) => void;

const isString = (v: unknown): v is string => typeof v === 'string';
const optional = <T>(v: unknown, is: (x: unknown) => x is T): boolean => v === undefined || is(v);
const SCOPES = ['once', 'host', 'tag'] as const;

/** Whether the request is one the server answers, with well-formed fields (anything else is bad usage). */
export function isWellFormed(req: WireRequest): boolean {
  switch (req.type) {
    case 'exec': {
      const r = req as ExecWireRequest;
      return (
        isString(r.hosts) &&
        isString(r.command) &&
        (r.argv === undefined || (Array.isArray(r.argv) && r.argv.every(isString))) &&
        Number.isInteger(r.concurrency) &&
        r.concurrency > 0 &&
        Number.isInteger(r.timeoutMs) &&
        r.timeoutMs > 0
      );
    }
    case 'approvals.decide': {
      const r = req as DecideWireRequest;
      return (
        isString(r.id) &&
        (r.decision === 'approve' || r.decision === 'deny') &&
        (r.remember === undefined || SCOPES.includes(r.remember)) &&
        optional(r.tag, isString) &&
        optional(r.reason, isString) &&
        (r.confirmHosts === undefined || (Array.isArray(r.confirmHosts) && r.confirmHosts.every(isString)))
      );
    }
    case 'approvals.list':
    case 'approvals.rules':
      return true;
    case 'approvals.show':
    case 'approvals.revoke':
      return isString(req.id);
    case 'providers.add':
      return isString(req.name) && optional(req.baseURL, isString) && optional(req.local, (v): v is boolean => typeof v === 'boolean') && (req.apiKey === null || isString(req.apiKey));
    case 'providers.remove':
      return isString(req.name);
    default:
      return false;
  }
}

/** A failure as the CLI reports it locally: unknown or ambiguous ids and bad input are bad usage (exit 2). */
function wireError(err: unknown): { code: 'usage' | 'failure'; message: string; approvalError?: unknown } {
  if (err instanceof ApprovalError) {
    // `approvalError` lets exec's y/N prompt say why an approval could not be decided, as it does locally.
    return { code: err.error.code === 'not_found' || err.error.code === 'bad_request' ? 'usage' : 'failure', message: `${err.error.code}: ${err.error.message}`, approvalError: err.error };
  }
  if (err instanceof ProviderSettingsError) return { code: err.code === 'bad_request' || err.code === 'not_found' ? 'usage' : 'failure', message: err.message };
  if (err instanceof CliFailure) return { code: err.exitCode === 2 ? 'usage' : 'failure', message: err.message };
  return { code: 'failure', message: (err as Error).message ?? String(err) };
}

/**
 * Answers one authorised, well-formed request with this server's core: the same services
 * the HTTP routes use, so a decision made from the CLI runs here, on this server's policy
 * and SSH pool, and the agent's follow-up reaches every open view of the conversation.
 */
export async function answer(core: Core, req: WireRequest, send: Send): Promise<void> {
  try {
    await core.ready();
    switch (req.type) {
      case 'exec': {
        const ran = await execOnCore(
          core,
          { hosts: req.hosts, command: req.command, argv: req.argv, concurrency: req.concurrency, timeoutMs: req.timeoutMs },
          { start: (hostCount) => send({ type: 'start', hostCount }), result: (line) => send({ type: 'result', line }) },
        );
        send({ type: 'end', ran });
        return;
      }
      case 'approvals.decide': {
        const record = core.approvals.resolve(req.id);
        // The client prints what is decided, in full, before the outcome.
        send({ type: 'deciding', id: record.id, command: record.command, hosts: record.hosts });
        const outcome = await core.approvals.decide(record.id, { decision: req.decision, remember: req.remember, tag: req.tag, reason: req.reason, confirmHosts: req.confirmHosts, actor: 'cli' });
        // The continuation runs on in this server (the client need not stay): its events reach the conversation's subscribers.
        void outcome.continued?.catch((err: unknown) => core.logger.error({ err }, 'agent continuation after an approval failed'));
        send({
          type: 'reply',
          body: { approval: outcome.approval, results: outcome.results, remembered: outcome.remembered, continued: outcome.continued !== null },
        });
        return;
      }
      case 'approvals.list':
        send({ type: 'reply', body: core.listApprovals() });
        return;
      case 'approvals.show':
        send({ type: 'reply', body: { approval: core.showApproval(req.id) } });
        return;
      case 'approvals.rules':
        send({ type: 'reply', body: core.listRules() });
        return;
      case 'approvals.revoke':
        send({ type: 'reply', body: core.revokeRule(req.id, 'cli') });
        return;
      case 'providers.add':
        await core.providers.add({ name: req.name, baseURL: req.baseURL, local: req.local }, req.apiKey);
        send({ type: 'reply', body: { name: req.name } });
        return;
      case 'providers.remove':
        await core.providers.remove(req.name);
        send({ type: 'reply', body: { name: req.name } });
        return;
    }
  } catch (err) {
    send({ type: 'error', ...wireError(err) });
  }
}
