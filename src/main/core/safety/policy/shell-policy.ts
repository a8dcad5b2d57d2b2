import { collectJudgedPaths } from './paths';
import { findGlobSites } from './glob-sites';
import { TextMemo } from './text-memo';
import { createHash } from 'node:crypto';
import type { CommandPolicy, CommandRequest, Decision, GlobSite, PolicyVerdict, SafetyCategory, VerdictPart } from '../types';
import type { BashParser } from './bash-parser';
import { compilePolicy, parseOverrides, type CompiledPolicy, type PolicyText } from './compiled';
import { Evaluator, type EvaluationContext, type RuleLayer } from './evaluator';
import { compareSeverity, decisionRank, make, stricterDecision, type Finding } from './findings';
import { normalizeCommandText, PolicyLoadError, type CompiledRule } from './ruleset';
import { rememberRefusal } from './rememberable';
import type { ScriptItem } from './script';
import type { ParsedPolicyOverrides, PolicyOverrides } from './spec';

export interface ShellPolicyOptions {
  /** Tags of a host, for requests that carry none (the inventory knows them). */
  resolveHostTags?: (host: string) => readonly string[];
}

export interface PolicySources {
  defaults: PolicyText[];
  overrides: { name: string; data: ParsedPolicyOverrides }[];
}

const MAX_REASONS = 8;

/** Shell builtins with no program of the same name: run as words they would fail, so they need a shell. */
const SHELL_ONLY_BUILTINS = new Set(
  'cd pushd popd dirs export unset set shopt source . eval exec ulimit umask alias unalias type command builtin declare typeset local readonly read mapfile readarray hash history jobs fg bg wait disown trap let getopts shift return exit break continue enable help logout times compgen complete caller suspend fc coproc :'.split(' '),
);

/**
 * The command-safety policy: bash parsed with tree-sitter, YAML rules, overrides per
 * user, tag and host. Build it with `loadDefaultPolicy` (async, loads the grammar);
 * `evaluate` is synchronous and does no I/O.
 */
export class ShellPolicy implements CommandPolicy {
  readonly version: string;
  private readonly evaluator: Evaluator;
  /** Findings per command text and rule layers, and glob sites per text: computed once for all hosts alike (text-memo.ts). */
  private readonly judged = new TextMemo<{ findings: Finding[]; items: ScriptItem[] | null }>();
  private readonly globSiteMemo = new TextMemo<GlobSite[]>();

  constructor(
    private readonly compiled: CompiledPolicy,
    private readonly parser: BashParser,
    private readonly sources: PolicySources,
    private readonly options: ShellPolicyOptions = {},
  ) {
    this.evaluator = new Evaluator(compiled, parser);
    const digest = createHash('sha256');
    for (const d of sources.defaults) digest.update(`${d.name}\0${d.text}\0`);
    for (const o of sources.overrides) digest.update(`${o.name}\0${JSON.stringify(o.data)}\0`);
    this.version = `policy-${digest.digest('hex').slice(0, 16)}`;
  }

  /** Compiles policy sources and verifies every rule's examples; throws PolicyLoadError naming the first failure. */
  static build(parser: BashParser, sources: PolicySources, options: ShellPolicyOptions = {}, verify: 'all' | 'overrides' | 'none' = 'all'): ShellPolicy {
    const policy = new ShellPolicy(compilePolicy(sources.defaults, sources.overrides), parser, sources, options);
    if (verify !== 'none') policy.verifyExamples(verify);
    return policy;
  }

  /** A policy with more overrides (a remembered approval, an edited user file); the defaults are not re-verified. */
  withOverrides(overrides: PolicyOverrides, name = 'runtime overrides'): ShellPolicy {
    const data = parseOverrides({ name, data: overrides });
    return ShellPolicy.build(this.parser, { defaults: this.sources.defaults, overrides: [...this.sources.overrides, { name, data }] }, this.options, 'overrides');
  }

  /** Rule and program counts, for `fleetmind policy` diagnostics. */
  get stats(): { rules: number; programs: number; wrappers: number; version: string } {
    return { rules: this.compiled.rules.length, programs: this.compiled.programs.size, wrappers: this.compiled.wrappers.size, version: this.version };
  }

  evaluate(request: CommandRequest): PolicyVerdict {
    return this.explain(request).verdict;
  }

  /** The verdict with every finding behind it. */
  explain(request: CommandRequest): { verdict: PolicyVerdict; findings: Finding[] } {
    // Requests arrive from several faces; one without a command string is judged as empty (ask), never crashes into the caller.
    if (typeof request.command !== 'string') request = { ...request, command: '' };
    const tags = request.tags ?? this.options.resolveHostTags?.(request.host) ?? [];
    const ctx: EvaluationContext = { layers: this.layersFor(request.host, tags) };
    let findings: Finding[];
    let items: ScriptItem[] | null = null;
    try {
      // Judged once per text and set of rule layers: a fan-out's hosts with the same layers share it (text-memo.ts).
      ({ findings, items } = this.judged.get(judgedKey(request, ctx.layers), () => {
        if (request.argv && request.argv.length > 0) return { findings: this.evaluator.evaluateArgv(request.argv, ctx), items: null };
        return this.evaluator.evaluateScript(request.command, ctx);
      }));
    } catch (err) {
      // A command too convoluted to analyse (say, nesting deep enough to exhaust the stack) is not refused outright, but never runs unseen.
      // The label must not throw in turn (a command that is not a string lands here too).
      findings = [make('ask', 'unknown', JSON.stringify(String(request.command ?? '').slice(0, 80)), `the command could not be analysed (${err instanceof Error ? err.message : String(err)})`, false)];
    }
    findings = this.applyRaise(findings, request.host, tags);
    const confirm = this.confirmationFor(findings, tags);
    // What a production tag confirms by the typed host name is approved once, every time:
    // no remembered approval or user `command:` rule may turn it into a silent allow.
    if (confirm) findings = findings.map((f) => (f.decision === 'ask' && confirm.categories.has(f.category) ? { ...f, rememberable: false } : f));
    findings = this.applyRemembered(findings, request, tags);
    const verdict = summarize(findings, this.compiled.settings.hardFloorCategories);
    if (request.argv && request.argv.length > 0) {
      verdict.argv = [...request.argv];
      verdict.needsShell = false;
    } else {
      const argv = plainArgv(items ?? []);
      verdict.needsShell = argv === null;
      if (argv) verdict.argv = argv;
    }
    if (verdict.decision === 'ask') {
      // Remembering needs a command whose text says everything about what runs (rememberable.ts), and findings that allow it.
      const refusal =
        rememberRefusal(items, request.argv && request.argv.length > 0 ? request.argv : null, this.compiled) ??
        (verdict.rememberable ? null : findingRefusal(findings, this.compiled.settings.hardFloorCategories));
      verdict.rememberable = refusal === null;
      if (refusal) verdict.notRememberable = refusal;
      if (confirm && findings.some((f) => f.decision === 'ask' && confirm.categories.has(f.category))) {
        const host = request.host || 'the host';
        verdict.confirmation = 'typed-host';
        verdict.confirmationTag = confirm.tag;
        // First: it is what the approver must do, and why the dialog has a name field.
        verdict.reasons = [`${host} is tagged ${confirm.tag}: type its name to approve`, ...verdict.reasons];
        verdict.rememberable = false;
        verdict.notRememberable = `${host} is tagged ${confirm.tag}: every approval there needs its name typed, so none is remembered`;
      }
    }
    return { verdict, findings };
  }

  /**
   * The tag (the first of the host's tags whose profile has `confirm`) and the categories
   * its asks need the typed host name for, when some ask falls in them; null otherwise.
   */
  private confirmationFor(findings: readonly Finding[], tags: readonly string[]): { tag: string; categories: ReadonlySet<string> } | null {
    let tag: string | null = null;
    const categories = new Set<string>();
    for (const t of new Set(tags)) {
      const layer = this.compiled.tags.get(t);
      if (!layer || layer.confirmCategories.size === 0) continue;
      for (const c of layer.confirmCategories) categories.add(c);
      if (tag === null && findings.some((f) => f.decision === 'ask' && layer.confirmCategories.has(f.category))) tag = t;
    }
    return tag === null ? null : { tag, categories };
  }

  private layersFor(host: string, tags: readonly string[]): RuleLayer[] {
    const tagLayers = [...new Set(tags)].flatMap((t) => {
      const layer = this.compiled.tags.get(t);
      return layer ? [layer] : [];
    });
    const userMode = tagLayers.some((t) => t.profile.ignore_user_allows) ? 'tighten' : 'replace';
    const layers: RuleLayer[] = [{ name: 'default', rules: this.compiled.defaultRules, mode: 'replace' }];
    if (this.compiled.userRules.size > 0) layers.push({ name: 'user', rules: this.compiled.userRules, mode: userMode });
    const hostLayer = this.compiled.hosts.get(host);
    if (hostLayer && hostLayer.rules.size > 0) layers.push({ name: `host:${host}`, rules: hostLayer.rules, mode: 'replace' });
    // Tags come last and only tighten, so a production tag stays stricter than any host or user rule.
    for (const t of tagLayers) if (t.rules.size > 0) layers.push({ name: `tag:${t.name}`, rules: t.rules, mode: 'tighten' });
    return layers;
  }

  private applyRaise(findings: Finding[], host: string, tags: readonly string[]): Finding[] {
    const raises: { source: string; raise: Partial<Record<SafetyCategory, Decision>> }[] = [];
    for (const t of new Set(tags)) {
      const layer = this.compiled.tags.get(t);
      if (layer && Object.keys(layer.profile.raise).length > 0) raises.push({ source: `tag ${t}`, raise: layer.profile.raise });
    }
    const hostLayer = this.compiled.hosts.get(host);
    if (hostLayer && Object.keys(hostLayer.profile.raise).length > 0) raises.push({ source: `host ${host}`, raise: hostLayer.profile.raise });
    if (raises.length === 0) return findings;
    return findings.map((f) => {
      let decision = f.decision;
      let source = '';
      for (const r of raises) {
        const minimum = r.raise[f.category];
        if (minimum && decisionRank(minimum) > decisionRank(decision)) {
          decision = minimum;
          source = r.source;
        }
      }
      return decision === f.decision ? f : { ...f, decision, reason: `${f.reason} (${source} requires ${decision} for ${f.category.replace(/_/g, ' ')})` };
    });
  }

  private applyRemembered(findings: Finding[], request: CommandRequest, tags: readonly string[]): Finding[] {
    const text = normalizeCommandText(request.argv && request.argv.length > 0 ? request.argv.join(' ') : request.command);
    const candidates: { rule: CompiledRule; tighten: boolean }[] = [];
    for (const rule of this.compiled.userRules.commandRules) candidates.push({ rule, tighten: false });
    for (const rule of this.compiled.hosts.get(request.host)?.rules.commandRules ?? []) candidates.push({ rule, tighten: false });
    for (const t of new Set(tags)) for (const rule of this.compiled.tags.get(t)?.rules.commandRules ?? []) candidates.push({ rule, tighten: true });
    const matching = candidates.filter((c) => c.rule.exactCommand === text);
    if (matching.length === 0) return findings;
    const label = `"${text}"`;
    const out = [...findings];
    for (const { rule, tighten } of matching) {
      if (rule.verdict.decision !== 'allow') {
        out.push(make(rule.verdict.decision, rule.verdict.category, label, rule.verdict.reason));
        continue;
      }
      const floors = this.compiled.settings.hardFloorCategories;
      const blocked = tighten || out.some((f) => f.decision === 'deny' || !f.rememberable || (f.decision !== 'allow' && floors.has(f.category)));
      if (blocked) continue;
      for (let i = 0; i < out.length; i++) {
        const f = out[i] as Finding;
        if (f.decision === 'ask') out[i] = { ...f, decision: 'allow', reason: `${f.reason}; allowed by the remembered approval ${rule.id}`, ruleId: rule.id };
      }
    }
    return out;
  }

  /** The concrete paths judging this command considers (see collectJudgedPaths). */
  judgedPaths(request: { command: string; argv?: readonly string[] }): string[] {
    const ctx: EvaluationContext = { layers: this.layersFor('', []) };
    return collectJudgedPaths(() => {
      if (request.argv) this.evaluator.evaluateArgv(request.argv, ctx);
      else this.evaluator.evaluateScript(request.command, ctx);
    });
  }

  /** The glob words the fleet may expand on the host and run as the judged list (glob-sites.ts). */
  globSites(command: string): GlobSite[] {
    if (typeof command !== 'string' || command.length === 0 || command.length > this.compiled.settings.maxCommandLength) return [];
    return this.globSiteMemo.get(command, () => this.parser.withTree(command, (root) => findGlobSites(root, command)));
  }

  /** The programs judged in a command line (basenames as written; wrappers and every nested level count), for tests that compare them with what runs. */
  judgedPrograms(command: string): string[] {
    const ctx: EvaluationContext = { layers: this.layersFor('', []), programs: [] };
    this.evaluator.evaluateScript(command, ctx);
    return [...new Set(ctx.programs)];
  }

  /** Checks every rule's `match`/`not_match` examples against the compiled rules. */
  verifyExamples(scope: 'all' | 'overrides' = 'all'): void {
    const allLayers: RuleLayer[] = [
      { name: 'default', rules: this.compiled.defaultRules, mode: 'replace' },
      { name: 'user', rules: this.compiled.userRules, mode: 'replace' },
      ...[...this.compiled.hosts.values()].map((h): RuleLayer => ({ name: `host:${h.name}`, rules: h.rules, mode: 'replace' })),
      ...[...this.compiled.tags.values()].map((t): RuleLayer => ({ name: `tag:${t.name}`, rules: t.rules, mode: 'replace' })),
    ];
    const matchedIds = new Map<string, Set<string>>();
    const idsFor = (example: string): Set<string> => {
      let ids = matchedIds.get(example);
      if (!ids) {
        const ctx: EvaluationContext = { layers: allLayers, trace: [] };
        this.evaluator.evaluateScript(example, ctx);
        ids = new Set((ctx.trace ?? []).flatMap((t) => t.ruleIds));
        matchedIds.set(example, ids);
      }
      return ids;
    };
    for (const { rule, layer } of this.compiled.rules) {
      if (scope === 'overrides' && layer === 'default') continue;
      const where = `rule "${rule.id}" (${rule.source})`;
      for (const example of rule.spec.match) {
        const hit = rule.exactCommand !== null ? normalizeCommandText(example) === rule.exactCommand : idsFor(example).has(rule.id);
        if (!hit) throw new PolicyLoadError(`${where}: the match example ${JSON.stringify(example)} does not match the rule`);
      }
      for (const example of rule.spec.not_match) {
        const hit = rule.exactCommand !== null ? normalizeCommandText(example) === rule.exactCommand : idsFor(example).has(rule.id);
        if (hit) throw new PolicyLoadError(`${where}: the not_match example ${JSON.stringify(example)} matches the rule`);
      }
    }
  }
}

function plainArgv(items: readonly ScriptItem[]): string[] | null {
  if (items.length !== 1) return null;
  const item = items[0];
  if (!item || item.kind !== 'command') return null;
  const c = item.command;
  if (c.assignments.length > 0 || c.redirects.length > 0 || c.background) return null;
  if (!c.words.every((w) => w.static && !w.glob && !w.expanded && w.alternatives.length === 1)) return null;
  const argv = c.words.map((w) => w.text);
  if (SHELL_ONLY_BUILTINS.has(argv[0] as string)) return null;
  return argv;
}

/** Why the findings forbid remembering: a category approved once only, or a finding that says so. */
function findingRefusal(findings: readonly Finding[], floors: ReadonlySet<string>): string {
  const vetoes = findings.filter((f) => !f.rememberable || (f.decision !== 'allow' && floors.has(f.category))).sort((a, b) => compareSeverity(b, a));
  const first = vetoes[0];
  if (!first) return 'only commands that need approval can be remembered';
  if (first.decision !== 'allow' && floors.has(first.category)) return `it is judged ${first.category.replace(/_/g, ' ')}, which is approved once only`;
  return `${first.command}: ${first.reason}`;
}

function summarize(findings: readonly Finding[], floors: ReadonlySet<string>): PolicyVerdict {
  if (findings.length === 0) {
    return { decision: 'ask', category: 'unknown', reasons: ['nothing in the command could be judged'], parts: [], rememberable: false, ruleIds: [] };
  }
  const sorted = [...findings].sort((a, b) => compareSeverity(b, a));
  const top = sorted[0] as Finding;
  const seen = new Set<string>();
  const reasons: string[] = [];
  let hidden = 0;
  for (const f of sorted) {
    if (f.decision !== top.decision || !f.reason) continue;
    const line = `${f.command}: ${f.reason}`;
    if (seen.has(line)) continue;
    seen.add(line);
    if (reasons.length < MAX_REASONS) reasons.push(line);
    else hidden++;
  }
  if (hidden > 0) reasons.push(`and ${hidden} more`);
  const parts = new Map<string, VerdictPart>();
  for (const f of findings) {
    const part = parts.get(f.command);
    if (!part) {
      parts.set(f.command, { command: f.command.replace(/^"|"$/g, ''), decision: f.decision, category: f.category, reasons: f.reason ? [f.reason] : [] });
      continue;
    }
    if (compareSeverity(f, part) > 0) {
      part.decision = f.decision;
      part.category = f.category;
    }
    part.decision = stricterDecision(part.decision, f.decision);
    if (f.reason && !part.reasons.includes(f.reason)) part.reasons.push(f.reason);
  }
  const rememberable = top.decision === 'ask' && findings.every((f) => f.rememberable && !(f.decision !== 'allow' && floors.has(f.category)));
  const ruleIds = [...new Set(findings.flatMap((f) => (f.ruleId ? [f.ruleId] : [])))];
  return { decision: top.decision, category: top.category, reasons, parts: [...parts.values()], rememberable, ruleIds };
}

/**
 * The memo key of a request's findings: the rule layers that judge it (default, user, the
 * host's profile, its tags' profiles: what differs between hosts before their facts) and
 * the exact text or words.
 */
function judgedKey(request: CommandRequest, layers: readonly RuleLayer[]): string {
  const text = request.argv && request.argv.length > 0 ? `argv\0${JSON.stringify(request.argv)}` : `text\0${request.command}`;
  return `${layers.map((l) => `${l.name}:${l.mode}`).join('|')}\0${text}`;
}
