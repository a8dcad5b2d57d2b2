import type { AuditEntryView, AuditVerify } from '../../../shared/protocol';

/** The protocol exports the schema, not the type; the entry's own field says the same. */
export type AuditKind = AuditEntryView['kind'];

export const KIND_LABEL: Record<AuditKind, string> = {
  request: 'Request',
  tool_call: 'Tool call',
  decision: 'Decision',
  approval: 'Approval',
  execution: 'Execution',
  settings: 'Settings',
  policy: 'Policy',
  retention: 'Retention',
};

/** How a summary reads at a glance: colour follows the outcome, never carries it alone (the words do). */
export type Tone = 'ok' | 'warn' | 'fail' | 'neutral';

export interface Summary {
  text: string;
  tone: Tone;
}

// Entry data is free-form JSON written by whichever service audited; read it defensively.
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function joined(...parts: (string | null | false | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join(' · ');
}

/** A scalar value shown inline; long ones are cut (the expanded row shows everything). */
function short(value: unknown, max = 40): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return null;
  const text = String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The first few scalar fields, for kinds that have no dedicated summary (settings, retention, newer kinds). */
function generic(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([key, value]) => {
      const text = short(value);
      return text === null ? null : `${key}: ${text}`;
    })
    .filter((part): part is string => part !== null)
    .slice(0, 3)
    .join(' · ');
}

const DECISION_TONE: Record<string, Tone> = { allow: 'ok', ask: 'warn', deny: 'fail' };
const APPROVAL_TONE: Record<string, Tone> = { requested: 'warn', approved: 'ok', denied: 'fail', expired: 'fail' };

/**
 * One line saying what an entry's data means, by kind: the policy decision and its
 * category, the exit code, the approval event. The full data is one click away, so
 * this favours what an auditor scans for over completeness.
 */
export function summarize(entry: AuditEntryView): Summary {
  const d = entry.data;
  switch (entry.kind) {
    case 'request': {
      const engine = str(d.engine);
      const length = num(d.length);
      return { text: joined(engine === 'offline' ? 'offline engine' : engine, str(d.model), length !== null && plural(length, 'char')), tone: 'neutral' };
    }
    case 'tool_call': {
      const duration = num(d.durationMs);
      const error = str(d.error);
      const approvals = Array.isArray(d.approvals) ? d.approvals.length : 0;
      if (d.ok === true) return { text: joined('ok', duration !== null && formatDuration(duration)), tone: 'ok' };
      if (error === 'approval_required' || approvals > 0) return { text: joined('held for approval', duration !== null && formatDuration(duration)), tone: 'warn' };
      return { text: joined(error ? `failed: ${error}` : 'failed', duration !== null && formatDuration(duration)), tone: 'fail' };
    }
    case 'decision': {
      const decision = str(d.decision) ?? 'unknown';
      return { text: joined(decision, str(d.category)), tone: DECISION_TONE[decision] ?? 'neutral' };
    }
    case 'approval': {
      const event = str(d.event) ?? 'unknown';
      const tone = APPROVAL_TONE[event] ?? 'neutral';
      if (event === 'requested') return { text: joined('requested', str(d.category)), tone };
      if (event === 'approved') {
        const remember = str(d.remember);
        return { text: joined('approved', remember && remember !== 'once' && `remember for ${remember}`), tone };
      }
      if (event === 'denied') {
        const reason = short(d.reason, 60);
        return { text: reason ? `denied: ${reason}` : 'denied', tone };
      }
      return { text: event, tone };
    }
    case 'execution': {
      const exitCode = num(d.exitCode);
      const signal = str(d.signal);
      const duration = num(d.durationMs);
      const error = str(d.error);
      const time = duration !== null && formatDuration(duration);
      if (exitCode !== null) return { text: joined(`exit ${exitCode}`, signal && `signal ${signal}`, time), tone: exitCode === 0 && !error ? 'ok' : 'fail' };
      if (signal) return { text: joined(`killed by ${signal}`, time), tone: 'fail' };
      return { text: joined(error ? `error: ${short(error, 60)}` : 'no exit code', time), tone: 'fail' };
    }
    case 'policy': {
      const event = str(d.event);
      return { text: joined(event?.replaceAll('_', ' '), str(d.scope), short(d.target)), tone: 'neutral' };
    }
    default:
      return { text: generic(d), tone: 'neutral' };
  }
}

export interface ChainStatus {
  intact: boolean;
  headline: string;
  detail: string;
}

/** The banner's words for the chain's verification. */
export function chainStatus(verify: AuditVerify): ChainStatus {
  if (!verify.ok) {
    return {
      intact: false,
      headline: `Tampering detected at row ${verify.brokenAt}`,
      detail: verify.problem,
    };
  }
  const counts = `${plural(verify.rows, 'row')}, ${plural(verify.checkpoints, 'signed checkpoint')}`;
  if (verify.rows === 0) return { intact: true, headline: 'Chain intact', detail: counts };
  const pending =
    verify.uncheckpointedRows === 0
      ? 'every row checkpointed'
      : verify.uncheckpointedRows === 1
        ? 'the newest row not yet checkpointed'
        : `${verify.uncheckpointedRows} newest rows not yet checkpointed`;
  return { intact: true, headline: 'Chain intact', detail: `${counts} (${pending})` };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time as `YYYY-MM-DD HH:MM:SS`: unambiguous and sortable by eye, as a log should read. */
export function formatTime(at: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
