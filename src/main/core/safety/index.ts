export type { Decision, SafetyCategory, PolicyVerdict, VerdictPart, CommandRequest, CommandPolicy, Confirmation, GlobFact, GlobSite } from './types';
export { type ApprovedCommand, isApprovedCommand } from './approved-command';
export { SafetyGate, MAX_GLOB_MATCHES, type GateResult, type RememberedRuleSource } from './gate';
export { rememberedVerdictOf, sameVerdict, staleRememberedRule, type RememberedRuleMatch, type RememberedVerdict } from './remembered';
export { DeferredPolicy } from './deferred-policy';
export { ShellPolicy, type ShellPolicyOptions } from './policy/shell-policy';
export { loadDefaultPolicy, locatePolicyDir, USER_POLICY_FILE, type LoadPolicyOptions } from './policy/load';
export { policySnapshotLocation, SNAPSHOT_KEY_FILE, type SnapshotEvent, type SnapshotLocation } from './policy/snapshot';
export { PolicyLoadError } from './policy/ruleset';
export type { Finding } from './policy/findings';
export type { PolicyOverrides, RuleSpec } from './policy/spec';
export {
  AuditLog,
  AuditKeyError,
  AuditForgetError,
  FORGOTTEN_ACTOR,
  hashOutput,
  loadOrCreateAuditKey,
  readAuditKey,
  AUDIT_KEY_FILE,
  auditConfig,
  type AuditAnchor,
  type AuditAnchorsResult,
  type AuditCheckpoint,
  type AuditCheckpointReason,
  type AuditEntry,
  type AuditEntryInput,
  type AuditKind,
  type AuditTombstone,
  type AuditVerifyResult,
} from './audit';
export { noAudit, type AuditSink } from './audit-sink';
export { judgeMcpCall, type McpCallFacts, type McpToolHints, type McpVerdict } from './mcp-policy';
export { useBaselineWasmCompiler } from './wasm-engine';
