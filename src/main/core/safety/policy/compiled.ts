import { createRequire } from 'node:module';
import type { z } from 'zod';
import { PathRules } from './paths';
import { CompiledRule, PolicyLoadError, RuleSet } from './ruleset';
import {
  DEFAULT_CONFIRM_CATEGORIES,
  PolicyFileSchema,
  PolicyOverridesSchema,
  ProgramSpecSchema,
  type HostProfile,
  type ParsedPolicyOverrides,
  type PathRuleSpec,
  type PolicyFile,
  type ProgramSpec,
  type RuleSpec,
  type Settings,
  type TagProfile,
  type VerdictSpec,
  type WrapperSpec,
} from './spec';
import type { Decision } from '../types';
import { stricterDecision } from './findings';
import { PatternSet } from './glob';

export interface PolicyText {
  /** Where the text came from, for error messages (a file path). */
  name: string;
  text: string;
  /** The text already parsed from YAML (off the main thread, see load.ts). */
  data?: unknown;
  /**
   * The text already parsed and validated against PolicyFileSchema: by parsePolicyFile in
   * this process, or read back from a policy snapshot whose MAC verified (snapshot.ts).
   */
  validated?: PolicyFile;
}

export interface ResolvedSettings {
  unknownProgram: VerdictSpec;
  safeSoleArguments: ReadonlySet<string>;
  systemProgramDirs: ReadonlySet<string>;
  safeEnvironment: PatternSet;
  dangerousVariables: PatternSet;
  downloaders: ReadonlySet<string>;
  shellBinaries: ReadonlySet<string>;
  hardFloorCategories: ReadonlySet<string>;
  maxNesting: number;
  maxCommandLength: number;
}

export interface TagLayer {
  name: string;
  profile: TagProfile;
  rules: RuleSet;
  /** Categories whose asks need the tag's `confirm` (empty when the tag sets none). */
  confirmCategories: ReadonlySet<string>;
}

export interface HostLayer {
  name: string;
  profile: HostProfile;
  rules: RuleSet;
}

/** The merged, validated and compiled policy; immutable once built. */
export interface CompiledPolicy {
  settings: ResolvedSettings;
  programs: ReadonlyMap<string, ProgramSpec>;
  aliases: ReadonlyMap<string, string>;
  wrappers: ReadonlyMap<string, WrapperSpec>;
  defaultRules: RuleSet;
  userRules: RuleSet;
  paths: PathRules;
  tags: ReadonlyMap<string, TagLayer>;
  hosts: ReadonlyMap<string, HostLayer>;
  /** Every rule with the layer it belongs to, for example verification. */
  rules: { rule: CompiledRule; layer: 'default' | 'user' | `tag:${string}` | `host:${string}` }[];
}

export const DEFAULT_PROGRAM_SPEC: ProgramSpec = ProgramSpecSchema.parse({});

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
    .join('; ');
}

function parseDocument(source: PolicyText): unknown {
  if (source.data !== undefined) return source.data;
  try {
    // Loaded on first use (40 ms): the policy's files are parsed in a worker (load.ts) or come from its snapshot.
    const { parse: parseYaml } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    return parseYaml(source.text);
  } catch (err) {
    throw new PolicyLoadError(`${source.name} is not valid YAML: ${(err as Error).message}`);
  }
}

export function parsePolicyFile(source: PolicyText): PolicyFile {
  if (source.validated) return source.validated;
  const result = PolicyFileSchema.safeParse(parseDocument(source) ?? {});
  if (!result.success) throw new PolicyLoadError(`${source.name}: ${formatIssues(result.error)}`);
  return result.data;
}

export function parseOverrides(source: PolicyText | { name: string; data: unknown }): ParsedPolicyOverrides {
  const data = 'text' in source ? parseDocument(source) : source.data;
  const result = PolicyOverridesSchema.safeParse(data ?? {});
  if (!result.success) throw new PolicyLoadError(`${source.name}: ${formatIssues(result.error)}`);
  return result.data;
}

function mergeRecord<T>(target: Map<string, T>, record: Record<string, T> | undefined, what: string, source: string): void {
  for (const [key, value] of Object.entries(record ?? {})) {
    if (target.has(key)) throw new PolicyLoadError(`${source}: ${what} "${key}" is defined twice`);
    target.set(key, value);
  }
}

interface Sourced<T> {
  spec: T;
  source: string;
}

function requireSetting<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new PolicyLoadError(`the default policy must set settings.${name}`);
  return value;
}

/** The categories two profiles of one tag confirm together (undefined: the default list, when `confirm` is set). */
function mergeConfirmCategories(a: TagProfile, b: TagProfile): TagProfile['confirm_categories'] {
  if (a.confirm_categories === undefined && b.confirm_categories === undefined) return undefined;
  const effective = (p: TagProfile) => p.confirm_categories ?? (p.confirm ? DEFAULT_CONFIRM_CATEGORIES : []);
  return [...new Set([...effective(a), ...effective(b)])];
}

function compileRules(rules: Sourced<RuleSpec>[], ids: Map<string, string>, layer: string, lazy: boolean): CompiledRule[] {
  return rules.map(({ spec, source }) => {
    const previous = ids.get(spec.id);
    if (previous) throw new PolicyLoadError(`rule id "${spec.id}" is used twice (${previous} and ${source})`);
    ids.set(spec.id, source);
    if (layer !== 'default' && spec.decision === 'allow' && (spec.category === 'privilege_escalation' || spec.category === 'credential_access')) {
      throw new PolicyLoadError(`rule "${spec.id}" (${source}): ${spec.category} can never be allowed`);
    }
    return new CompiledRule(spec, source, { lazy });
  });
}

/**
 * Merges the default policy files and the overrides into one compiled policy (examples are
 * verified separately). `proven`: this exact policy compiled and passed its examples under
 * this engine before (its snapshot verified), so rule patterns are translated on first use.
 */
export function compilePolicy(defaults: PolicyText[], overrides: { name: string; data: ParsedPolicyOverrides }[], options: { proven?: boolean } = {}): CompiledPolicy {
  const lazy = options.proven === true;
  const programs = new Map<string, ProgramSpec>();
  const aliases = new Map<string, string>();
  const wrappers = new Map<string, WrapperSpec>();
  const defaultRuleSpecs: Sourced<RuleSpec>[] = [];
  const secrets: Sourced<PathRuleSpec>[] = [];
  const writeTargets: Sourced<PathRuleSpec>[] = [];
  const harmless: string[] = [];
  const tagProfiles = new Map<string, { profile: TagProfile; sources: Sourced<RuleSpec>[] }>();
  const hostProfiles = new Map<string, { profile: HostProfile; sources: Sourced<RuleSpec>[] }>();
  let settings: Settings = {};

  const addTags = (tags: Record<string, TagProfile> | undefined, source: string): void => {
    for (const [name, profile] of Object.entries(tags ?? {})) {
      const existing = tagProfiles.get(name);
      if (!existing) {
        tagProfiles.set(name, { profile, sources: profile.rules.map((spec) => ({ spec, source })) });
        continue;
      }
      // Later files add to a tag: rules append, raises take the stricter decision.
      const raise = { ...existing.profile.raise };
      for (const [category, decision] of Object.entries(profile.raise) as [keyof typeof raise, Decision][]) {
        const current = raise[category];
        raise[category] = current ? stricterDecision(current, decision) : decision;
      }
      existing.profile = {
        ...existing.profile,
        raise,
        ignore_user_allows: existing.profile.ignore_user_allows || profile.ignore_user_allows,
        // A later file may add a confirmation or categories to it, never take them away.
        confirm: existing.profile.confirm ?? profile.confirm,
        confirm_categories: mergeConfirmCategories(existing.profile, profile),
      };
      existing.sources.push(...profile.rules.map((spec) => ({ spec, source })));
    }
  };
  const addHosts = (hosts: Record<string, HostProfile> | undefined, source: string): void => {
    for (const [name, profile] of Object.entries(hosts ?? {})) {
      const existing = hostProfiles.get(name);
      if (!existing) hostProfiles.set(name, { profile, sources: profile.rules.map((spec) => ({ spec, source })) });
      else {
        existing.profile = { ...existing.profile, raise: { ...existing.profile.raise, ...profile.raise } };
        existing.sources.push(...profile.rules.map((spec) => ({ spec, source })));
      }
    }
  };

  for (const source of defaults) {
    const file = parsePolicyFile(source);
    if (file.settings) settings = { ...settings, ...file.settings };
    mergeRecord(programs, file.programs, 'program', source.name);
    mergeRecord(aliases, file.aliases, 'alias', source.name);
    mergeRecord(wrappers, file.wrappers, 'wrapper', source.name);
    defaultRuleSpecs.push(...(file.rules ?? []).map((spec) => ({ spec, source: source.name })));
    secrets.push(...(file.secrets ?? []).map((spec) => ({ spec, source: source.name })));
    writeTargets.push(...(file.write_targets ?? []).map((spec) => ({ spec, source: source.name })));
    harmless.push(...(file.harmless_writes ?? []));
    addTags(file.tags, source.name);
    addHosts(file.hosts, source.name);
  }

  const userRuleSpecs: Sourced<RuleSpec>[] = [];
  for (const { name, data } of overrides) {
    userRuleSpecs.push(...(data.rules ?? []).map((spec) => ({ spec, source: name })));
    secrets.push(...(data.secrets ?? []).map((spec) => ({ spec, source: name })));
    writeTargets.push(...(data.write_targets ?? []).map((spec) => ({ spec, source: name })));
    addTags(data.tags, name);
    addHosts(data.hosts, name);
  }

  for (const [alias, target] of aliases) {
    if (!programs.has(target) && !wrappers.has(target)) throw new PolicyLoadError(`alias "${alias}" points to "${target}", which is neither a program nor a wrapper`);
  }

  const ids = new Map<string, string>();
  const allRules: CompiledPolicy['rules'] = [];
  const defaultCompiled = compileRules(defaultRuleSpecs, ids, 'default', lazy);
  allRules.push(...defaultCompiled.map((rule) => ({ rule, layer: 'default' as const })));
  const userCompiled = compileRules(userRuleSpecs, ids, 'user', lazy);
  allRules.push(...userCompiled.map((rule) => ({ rule, layer: 'user' as const })));
  const tags = new Map<string, TagLayer>();
  for (const [name, { profile, sources }] of tagProfiles) {
    const compiled = compileRules(sources, ids, `tag:${name}`, lazy);
    allRules.push(...compiled.map((rule) => ({ rule, layer: `tag:${name}` as const })));
    tags.set(name, { name, profile, rules: new RuleSet(compiled), confirmCategories: new Set(profile.confirm ? (profile.confirm_categories ?? DEFAULT_CONFIRM_CATEGORIES) : []) });
  }
  const hosts = new Map<string, HostLayer>();
  for (const [name, { profile, sources }] of hostProfiles) {
    const compiled = compileRules(sources, ids, `host:${name}`, lazy);
    allRules.push(...compiled.map((rule) => ({ rule, layer: `host:${name}` as const })));
    hosts.set(name, { name, profile, rules: new RuleSet(compiled) });
  }

  let paths: PathRules;
  try {
    paths = new PathRules(secrets, writeTargets, harmless, { proven: lazy });
  } catch (err) {
    throw new PolicyLoadError((err as Error).message);
  }

  return {
    settings: {
      unknownProgram: requireSetting(settings.unknown_program, 'unknown_program'),
      safeSoleArguments: new Set(settings.safe_sole_arguments ?? ['--help', '--version']),
      systemProgramDirs: new Set(requireSetting(settings.system_program_dirs, 'system_program_dirs')),
      safeEnvironment: new PatternSet(settings.safe_environment ?? []),
      dangerousVariables: new PatternSet(requireSetting(settings.dangerous_variables, 'dangerous_variables')),
      downloaders: new Set(settings.downloaders ?? []),
      shellBinaries: new Set(settings.shell_binaries ?? []),
      hardFloorCategories: new Set(settings.hard_floor_categories ?? ['privilege_escalation', 'credential_access']),
      maxNesting: settings.max_nesting ?? 8,
      maxCommandLength: settings.max_command_length ?? 65536,
    },
    programs,
    aliases,
    wrappers,
    defaultRules: new RuleSet(defaultCompiled),
    userRules: new RuleSet(userCompiled),
    paths,
    tags,
    hosts,
    rules: allRules,
  };
}
