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

/** A stronger confirmation than a click: the approver types the host's name. */
export type Confirmation = 'typed-host';

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
  /**
   * Set on an `ask` that needs more than a click: `typed-host` when the host carries a tag
   * whose profile says `confirm: typed_host_name` (production) and the command can change
   * it. The approval service refuses the approval unless the operator typed the host's
   * name, and such an approval is never remembered.
   */
  confirmation?: Confirmation;
  /** With `confirmation`: the tag that asked for it (for the operator: "web-1 is tagged production"). */
  confirmationTag?: string;
  /**
   * The command text judged and run instead of the one requested: its glob words replaced
   * by the names they matched on the host (CommandRequest.globMatches). Unset when the
   * text was judged as written.
   */
  expandedCommand?: string;
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
  /**
   * Facts the fleet gathered on the host: what bash made of the command's glob words
   * there (the sites the gate reported by `globSites`). The gate judges, and mints to
   * run, the command with those words in place of each glob, so what runs is the judged
   * list, never expanded again.
   */
  globMatches?: readonly GlobFact[];
}

/**
 * A glob word the fleet may expand on the host, as the policy found it in the command
 * text: offsets (UTF-16, as JavaScript indexes the string), the source text, and the
 * pattern after quote removal (for reasons).
 */
export interface GlobSite {
  start: number;
  end: number;
  word: string;
  pattern: string;
  /** No leading `/`: expanded in the directory the command starts in. */
  relative: boolean;
}

/** What one glob site became on the host. */
export interface GlobFact {
  start: number;
  end: number;
  /** The site's source text, as `globSites` reported it. */
  word: string;
  /**
   * The words bash made of it, in order: the matching names, or the word itself with its
   * quotes removed when nothing matched (no nullglob). Null when the host's answer cannot
   * be used as the list to run (more matches than the gate judges one by one, a name that
   * is not valid UTF-8); `unknown` says why.
   */
  matches: readonly string[] | null;
  unknown?: string;
  /** How many names matched, when known (also when matches is null because there were too many). */
  count?: number;
}

/** A policy decides from the command alone; it does no I/O. */
export interface CommandPolicy {
  readonly version: string;
  evaluate(request: CommandRequest): PolicyVerdict;
  /** The concrete paths judging this command considers, for the fleet to resolve on the host (optional). */
  judgedPaths?(request: { command: string; argv?: readonly string[] }): string[];
  /** The glob words of a shell command that the fleet may expand on the host (optional; none without it). */
  globSites?(command: string): GlobSite[];
  /** Resolves once the policy can judge (policies that load asynchronously). */
  ready?(): Promise<unknown>;
}
