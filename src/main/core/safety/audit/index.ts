export {
  AuditLog,
  AuditKeyError,
  AuditForgetError,
  auditPayloadSha256,
  FORGOTTEN_ACTOR,
  hashAuditRow,
  hashAuditRowDigest,
  hashOutput,
  type AuditRowFormat,
  type AuditTombstone,
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
