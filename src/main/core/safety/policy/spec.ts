import { z } from 'zod';

/** The YAML policy format. Every section is optional in a single file; files are merged. */

export const DecisionSchema = z.enum(['allow', 'ask', 'deny']);
export const CategorySchema = z.enum([
  'read_only',
  'mutating',
  'destructive',
  'privilege_escalation',
  'credential_access',
  'code_download_exec',
  'network_exfiltration',
  'persistence',
  'unknown',
]);

const Name = z.string().min(1);
const OneOrMany = z.union([Name, z.array(Name).min(1)]);

export const VerdictSpecSchema = z.strictObject({
  decision: DecisionSchema,
  category: CategorySchema,
  reason: z.string().min(3),
  /** False when "approve and remember" must not be offered (interpreters, shells, privilege). */
  rememberable: z.boolean().optional(),
});
export type VerdictSpec = z.infer<typeof VerdictSpecSchema>;

const Examples = {
  /** Commands this rule must match; checked when the policy loads. */
  match: z.array(z.string().min(1)).min(1, 'a rule needs at least one `match` example'),
  /** Commands this rule must not match; checked when the policy loads. */
  not_match: z.array(z.string().min(1)).default([]),
};

export const RuleSpecSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'rule ids are lower-case words joined by - . or _'),
    description: z.string().optional(),
    /** Program names (basename); globs allowed (`mkfs.*`). */
    program: OneOrMany.optional(),
    /** Leading positional words, e.g. `status` or `system prune`; each word may be a glob. */
    subcommand: OneOrMany.optional(),
    /** Matches when any of these flags is present (`-i`, `--in-place`, globs such as `--vacuum-*`). */
    flags: z.array(Name).optional(),
    /** Matches only when none of these flags is present. */
    not_flags: z.array(Name).optional(),
    /** Matches only when every flag present is one of these. */
    only_flags: z.array(Name).optional(),
    /** Matches when any argument word matches one of these patterns (glob, or `re:` regular expression). */
    args: z.array(Name).optional(),
    /** Matches only when no argument word matches. */
    not_args: z.array(Name).optional(),
    /** Matches when any positional argument after the subcommand matches. */
    positional: z.array(Name).optional(),
    /** Bounds on the number of positional arguments after the subcommand. */
    positionals: z.strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }).optional(),
    /** A named check implemented in code (see checks.ts), for syntax YAML cannot express (awk programs, chmod modes). */
    check: Name.optional(),
    /** The exact command text (a remembered approval); matches the whole request instead of one simple command. */
    command: z.string().min(1).optional(),
    ...VerdictSpecSchema.shape,
    ...Examples,
  })
  .refine((r) => r.program !== undefined || r.command !== undefined, { message: 'a rule needs `program` or `command`' });
export type RuleSpec = z.infer<typeof RuleSpecSchema>;

export const ProgramSpecSchema = z.strictObject({
  /** Options that take the next word as their value, so it is not mistaken for a subcommand or operand. */
  value_options: z.array(Name).default([]),
  /** Long options written with one dash (`find -name`, `openssl x509 -in`). */
  single_dash_long: z.boolean().default(false),
  /**
   * `content`: arguments may name files whose contents it reads or prints (credential files are checked);
   * `metadata`: it never reads or prints file contents through its operands (ls, stat, du, echo), except `content_options`.
   */
  file_access: z.enum(['content', 'metadata']).default('content'),
  /** Leading operands that are patterns or program text, not files (grep PATTERN, awk PROGRAM), unless -e/-f supply them. */
  pattern_positionals: z.number().int().min(0).default(0),
  /** Options whose value is a file read for its contents, even for metadata-only programs. */
  content_options: z.array(Name).default([]),
  /** Flags that make it read whole directory trees (grep -r). */
  recursive_flags: z.array(Name).default([]),
  /** Reads directory operands recursively without a flag (rg, ag). */
  always_recursive: z.boolean().default(false),
  /** Whether arguments computed at run time (`$VAR`, `$(...)`) are acceptable: they cannot name a file it reads. */
  dynamic_args: z.enum(['ask', 'ok']).default('ask'),
  /** Operands it writes, changes or removes: `all` (tee, touch, rm), `last` (cp, mv), or `none`. */
  write_operands: z.enum(['none', 'all', 'last']).default('none'),
  /** Options whose value is a file it writes (`-o`, `--output`, `-t`). */
  write_options: z.array(Name).default([]),
  /** NAME=PATH arguments that name a file it writes (dd's `of`). */
  write_assignments: z.array(Name).default([]),
  /** Directories where it looks up relative operands (`systemd-analyze cat-config shadow` reads /etc/shadow). */
  search_dirs: z.array(Name).default([]),
  /** Runs code given as a file, on standard input or inline (python, perl, node...). */
  interpreter: z.boolean().default(false),
  /** Verdict when no rule matches. */
  default: VerdictSpecSchema.optional(),
});
export type ProgramSpec = z.infer<typeof ProgramSpecSchema>;

export const WrapperSpecSchema = z.strictObject({
  /**
   * exec: runs the command given after its options (nice, timeout, sudo);
   * env: also accepts NAME=VALUE before the command; command: `command -v` looks up instead of running;
   * shell: a shell (`-c` string, script file or standard input); eval: joins its words into a script;
   * ssh: remote command; xargs: appends words read from input; watch: runs its words through `sh -c`;
   * find: find with -exec/-execdir/-ok; busybox: the first word names the applet.
   */
  kind: z.enum(['exec', 'env', 'command', 'shell', 'eval', 'ssh', 'xargs', 'watch', 'find', 'busybox']).default('exec'),
  value_options: z.array(Name).default([]),
  single_dash_long: z.boolean().default(false),
  /** Positional words before the command (timeout DURATION, chroot DIR, su USER). */
  skip_positionals: z.number().int().min(0).default(0),
  /** Options whose value is a shell command string (su -c, flock -c, script -c). */
  command_options: z.array(Name).default([]),
  /** Its first operand is a lock file it creates when missing (flock FILE cmd): a file write. */
  lock_file: z.boolean().default(false),
  /** Options whose value is the directory the command runs in (env -C, sudo -D). */
  chdir_options: z.array(Name).default([]),
  /** Flags that make it act on its own instead of running a command (ionice -p, taskset -p). */
  direct_flags: z.array(Name).default([]),
  /** A lone `-` is an option here (su -), not an operand. */
  dash_is_flag: z.boolean().default(false),
  /** For shells: whether the bash grammar judges its scripts faithfully. */
  posix: z.boolean().default(true),
  /** The wrapper's own verdict, combined with the wrapped command's (sudo: privilege escalation). */
  verdict: VerdictSpecSchema.optional(),
  /** Verdict when no command follows (sudo -l, nice alone, chroot DIR). */
  bare: VerdictSpecSchema.optional(),
});
export type WrapperSpec = z.infer<typeof WrapperSpecSchema>;

export const PathRuleSpecSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  /** Globs over normalized absolute paths (`**` crosses directories). */
  paths: z.array(Name).min(1),
  except: z.array(Name).default([]),
  ...VerdictSpecSchema.shape,
  /** Concrete paths that must match; they also stand for the rule when a shell glob is tested against it. */
  match: z.array(z.string().min(1)).min(1),
  not_match: z.array(z.string().min(1)).default([]),
});
export type PathRuleSpec = z.infer<typeof PathRuleSpecSchema>;

const RaiseSchema = z.partialRecord(CategorySchema, DecisionSchema);

/**
 * Asks on a tagged host that need more than a click. `typed_host_name`: the operator
 * types the host's name to approve (production), checked by the approval service.
 */
export const ConfirmSchema = z.enum(['typed_host_name']);

/**
 * The categories whose asks need the typed confirmation when a tag sets `confirm` without
 * `confirm_categories`: whatever can change the host or carry data or code across it, and
 * what the policy cannot bound (an unknown program may do any of that). Reads of sensitive
 * data (credential_access asks, such as a database dump) change nothing on the host.
 */
export const DEFAULT_CONFIRM_CATEGORIES = ['mutating', 'destructive', 'persistence', 'privilege_escalation', 'network_exfiltration', 'code_download_exec', 'unknown'] as const;

export const TagProfileSchema = z.strictObject({
  description: z.string().optional(),
  /** Minimum decision per category on hosts with this tag (e.g. destructive → deny). */
  raise: RaiseSchema.default({}),
  /** When true, relaxing rules from the user file do not apply on these hosts. */
  ignore_user_allows: z.boolean().default(false),
  /** A stronger confirmation for asks on these hosts (production: the host name typed). */
  confirm: ConfirmSchema.optional(),
  /** Which categories of ask need it (default DEFAULT_CONFIRM_CATEGORIES). */
  confirm_categories: z.array(CategorySchema).optional(),
  /** Extra rules; on a tag they can only make decisions stricter. */
  rules: z.array(RuleSpecSchema).default([]),
});
export type TagProfile = z.infer<typeof TagProfileSchema>;

export const HostProfileSchema = z.strictObject({
  description: z.string().optional(),
  raise: RaiseSchema.default({}),
  /** Host rules replace the default verdict for the commands they match (not below the hard floors). */
  rules: z.array(RuleSpecSchema).default([]),
});
export type HostProfile = z.infer<typeof HostProfileSchema>;

export const SettingsSchema = z.strictObject({
  unknown_program: VerdictSpecSchema.optional(),
  /** Arguments that only print help or a version when they are the only argument. */
  safe_sole_arguments: z.array(Name).optional(),
  /** Directories whose programs may be named by path (`/usr/bin/cat`). */
  system_program_dirs: z.array(Name).optional(),
  /** Environment variables a command prefix may set without changing what runs (LANG, TZ). */
  safe_environment: z.array(Name).optional(),
  /** Shell variables whose value changes what later commands run or load (PATH, LD_PRELOAD); setting one needs approval. */
  dangerous_variables: z.array(Name).optional(),
  /** Programs that fetch data from the network (curl | sh is code download and execution). */
  downloaders: z.array(Name).optional(),
  /** Shell executables: handing one to another program as an argument is a classic escape. */
  shell_binaries: z.array(Name).optional(),
  /** Categories that no override may turn into `allow`. */
  hard_floor_categories: z.array(CategorySchema).optional(),
  max_nesting: z.number().int().min(1).max(32).optional(),
  max_command_length: z.number().int().min(64).optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const PolicyFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  description: z.string().optional(),
  settings: SettingsSchema.optional(),
  programs: z.record(Name, ProgramSpecSchema).optional(),
  /** Program names that share another program's knowledge and rules (egrep → grep). */
  aliases: z.record(Name, Name).optional(),
  wrappers: z.record(Name, WrapperSpecSchema).optional(),
  rules: z.array(RuleSpecSchema).optional(),
  /** Files whose contents are secrets: reading them is refused. */
  secrets: z.array(PathRuleSpecSchema).optional(),
  /** Places where writing changes who may do what (sudoers, cron, units) or runs at login. */
  write_targets: z.array(PathRuleSpecSchema).optional(),
  /** Write targets that are not files (/dev/null, /dev/stderr). */
  harmless_writes: z.array(Name).optional(),
  tags: z.record(Name, TagProfileSchema).optional(),
  hosts: z.record(Name, HostProfileSchema).optional(),
});
export type PolicyFile = z.infer<typeof PolicyFileSchema>;

/** What a user (or the approvals service) may add on top of the default policy. */
export const PolicyOverridesSchema = z.strictObject({
  version: z.literal(1).optional(),
  description: z.string().optional(),
  rules: z.array(RuleSpecSchema).optional(),
  secrets: z.array(PathRuleSpecSchema).optional(),
  write_targets: z.array(PathRuleSpecSchema).optional(),
  tags: z.record(Name, TagProfileSchema).optional(),
  hosts: z.record(Name, HostProfileSchema).optional(),
});
export type PolicyOverrides = z.input<typeof PolicyOverridesSchema>;
export type ParsedPolicyOverrides = z.infer<typeof PolicyOverridesSchema>;
