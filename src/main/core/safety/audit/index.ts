export {
  AuditLog,
  AuditKeyError,
  hashAuditRow,
  hashOutput,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditEntryInput,
  type AuditKind,
  type AuditLogOptions,
  type AuditVerifyResult,
} from './audit-log';
export { AUDIT_KEY_FILE, loadOrCreateAuditKey, readAuditKey } from './audit-key';
export { canonicalJson } from './canonical-json';
