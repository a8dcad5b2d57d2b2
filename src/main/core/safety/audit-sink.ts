import type { AuditEntryInput } from './audit/audit-log';

/**
 * Where services report what happened (requests, tool calls, policy decisions,
 * approvals, executions, settings changes). Recording never throws into the work it
 * describes: a failure to record is reported by the sink itself.
 */
export interface AuditSink {
  record(entry: AuditEntryInput): void;
}

export const noAudit: AuditSink = { record: () => undefined };
