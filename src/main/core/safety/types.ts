export type Decision = 'allow' | 'ask' | 'deny';

export type SafetyCategory =
  | 'read_only'
  | 'mutating'
  | 'destructive'
  | 'privilege_escalation'
  | 'credential_access'
  | 'code_download_exec'
  | 'network_exfiltration'
  | 'persistence'
  | 'unknown';

export interface PolicyVerdict {
  decision: Decision;
  category: SafetyCategory;
  reasons: string[];
}

/** What a face or agent asks to run. `argv` is set when the caller already has words (no shell). */
export interface CommandRequest {
  /** The exact command text the operator sees and the policy judges. */
  command: string;
  argv?: string[];
  host: string;
  /** Who asks: `cli:exec`, `tool:server_status`, `agent:<conversation>` ... */
  requester: string;
}

/** A policy decides from the command alone; it does no I/O. */
export interface CommandPolicy {
  readonly version: string;
  evaluate(request: CommandRequest): PolicyVerdict;
}
