export {
  AuditLog,
  AuditKeyError,
  hashAuditRow,
  hashOutput,
  type AuditAnchor,
  type AuditAnchorsResult,
  type AuditCheckpoint,
  type AuditCheckpointReason,
  type AuditEntry,
  type AuditEntryInput,
  type AuditKind,
  type AuditLogOptions,
  type AuditVerifyResult,
} from './audit-log';
export { AUDIT_KEY_FILE, loadOrCreateAuditKey, readAuditKey } from './audit-key';
export { canonicalJson } from './canonical-json';
export { auditConfig } from './config';
