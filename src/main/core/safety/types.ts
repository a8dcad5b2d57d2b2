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

/** The verdict on one simple command inside a larger command line. */
export interface VerdictPart {
  command: string;
  decision: Decision;
  category: SafetyCategory;
  reasons: string[];
}

export interface PolicyVerdict {
  decision: Decision;
  category: SafetyCategory;
  reasons: string[];
  /** Each simple command (pipelines, lists, substitutions, wrapped commands) with its own verdict. */
  parts?: VerdictPart[];
  /**
   * Whether "approve and remember" may be offered: false for privilege escalation,
   * credential access, shells given a command string, interpreters and env prefixes.
   */
  rememberable?: boolean;
  /** Why "approve and remember" is not offered (set for `ask` verdicts that are not rememberable). */
  notRememberable?: string;
  /** The words to run without a shell, when the command is one plain simple command. */
  argv?: string[];
  /** True when the command needs `sh -c` (pipelines, lists, redirections, expansions, builtins). */
  needsShell?: boolean;
  /** Ids of the policy rules that decided, for the audit log. */
  ruleIds?: string[];
}

/** What a face or agent asks to run. `argv` is set when the caller already has words (no shell). */
export interface CommandRequest {
  /** The exact command text the operator sees and the policy judges. */
  command: string;
  argv?: string[];
  host: string;
  /** Who asks: `cli:exec`, `tool:server_status`, `agent:<conversation>` ... */
  requester: string;
  /** The host's inventory tags; production tags make the policy stricter. */
  tags?: readonly string[];
  /**
   * Facts the fleet gathered on the host: each path word of the command and what it
   * resolves to there (symlinks, /proc magic links). The gate judges the targets too.
   */
  resolvedPaths?: Readonly<Record<string, string>>;
}

/** A policy decides from the command alone; it does no I/O. */
export interface CommandPolicy {
  readonly version: string;
  evaluate(request: CommandRequest): PolicyVerdict;
  /** The concrete paths judging this command considers, for the fleet to resolve on the host (optional). */
  judgedPaths?(request: { command: string; argv?: readonly string[] }): string[];
  /** Resolves once the policy can judge (policies that load asynchronously). */
  ready?(): Promise<unknown>;
}
