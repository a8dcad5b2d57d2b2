export type { Decision, SafetyCategory, PolicyVerdict, CommandRequest, CommandPolicy } from './types';
export { type ApprovedCommand, isApprovedCommand } from './approved-command';
export { SafetyGate, type GateResult } from './gate';
export { ReadOnlyAllowlistPolicy, splitPlainWords } from './readonly-allowlist';
