import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import { resolvePaths } from '../config';
import { loadDefaultPolicy, policySnapshotLocation, PolicyLoadError, useBaselineWasmCompiler, USER_POLICY_FILE, type ShellPolicy } from '../safety';
import { STORE_FILE, Store } from '../store';
import { escapeControls } from '../../../shared/text/escape-controls';
import { CliFailure, EXIT, UsageError } from './exit';

interface CheckFlags {
  host: string;
  tag: string[];
  jsonl?: boolean;
  policyDir?: string;
  policyFile?: string;
  explain?: boolean;
  timing?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const InputLineSchema = z.object({
  command: z.string().min(1, 'command must be a non-empty string'),
  host: z.string().min(1).optional(),
  tags: z.array(z.string()).optional(),
});

/** Host tags from the inventory, read once; no store is created when there is none yet. */
function inventoryTags(dataDir: string): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  if (!existsSync(join(dataDir, STORE_FILE))) return tags;
  const store = Store.open(dataDir);
  try {
    for (const host of store.hosts.list()) tags.set(host.name, host.tags);
  } finally {
    store.close();
  }
  return tags;
}

/** `proveAgain`: `policy validate` always re-checks every example instead of trusting an earlier proof. */
async function loadPolicy(flags: { policyDir?: string; policyFile?: string }, proveAgain = false): Promise<ShellPolicy> {
  const { dataDir } = resolvePaths();
  const userPolicyFile = flags.policyFile ?? join(dataDir, USER_POLICY_FILE);
  if (flags.policyFile && !existsSync(flags.policyFile)) throw new UsageError(`--policy-file ${flags.policyFile} does not exist`);
  const tags = inventoryTags(dataDir);
  try {
    useBaselineWasmCompiler();
    return await loadDefaultPolicy({
      policyDir: flags.policyDir,
      userPolicyFile,
      dataDir,
      snapshot: proveAgain ? undefined : policySnapshotLocation(dataDir),
      // A snapshot that does not verify (tampering, corruption, a lost key) is never used, and said so.
      onSnapshot: (event) => {
        if (event.kind === 'rejected') process.stderr.write(`fleetmind: the policy snapshot was rejected (${escapeControls(event.reason)}); compiled the policy from its YAML instead\n`);
      },
      resolveHostTags: (host) => tags.get(host) ?? [],
    });
  } catch (err) {
    if (err instanceof PolicyLoadError) throw new CliFailure(`the policy could not be loaded: ${err.message}`);
    throw err;
  }
}

/** Writes a line, waiting when the pipe is full so huge inputs do not buffer in memory; false once the reader is gone. */
function writeLine(line: string): Promise<boolean> | boolean {
  const out = process.stdout;
  if (out.destroyed) return false;
  if (out.write(`${line}\n`)) return true;
  return new Promise((resolve) => {
    out.once('drain', () => resolve(true));
    out.once('close', () => resolve(false));
  });
}

async function checkJsonl(policy: ShellPolicy, flags: CheckFlags): Promise<void> {
  // A reader that stops early (`| head`) ends the run quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`fleetmind policy check: ${err.message}\n`);
    process.stdout.destroy();
  });
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let invalid = 0;
  for await (const raw of rl) {
    lineNumber++;
    const text = raw.trim();
    if (!text) continue;
    let input: z.infer<typeof InputLineSchema>;
    try {
      const parsed = InputLineSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; '));
      input = parsed.data;
    } catch (err) {
      invalid++;
      const message = `line ${lineNumber}: ${(err as Error).message}; expected {"command": string, "host"?: string}`;
      process.stderr.write(`fleetmind policy check: ${message}\n`);
      if (!(await writeLine(JSON.stringify({ error: { code: 'invalid_input', message }, line: lineNumber })))) break;
      continue;
    }
    const started = flags.timing ? performance.now() : 0;
    const verdict = policy.evaluate({ command: input.command, host: input.host ?? flags.host, requester: 'cli:policy-check', tags: input.tags ?? (flags.tag.length > 0 ? flags.tag : undefined) });
    const elapsedMs = flags.timing ? performance.now() - started : undefined;
    const out: Record<string, unknown> = { command: input.command, decision: verdict.decision, category: verdict.category, reasons: [...verdict.reasons, ...textAloneNotes(policy, input.command)] };
    if (flags.explain) Object.assign(out, { parts: verdict.parts, rememberable: verdict.rememberable, ...(verdict.notRememberable ? { notRememberable: verdict.notRememberable } : {}), ...(verdict.confirmation ? { confirmation: verdict.confirmation } : {}), needsShell: verdict.needsShell, ruleIds: verdict.ruleIds, policyVersion: policy.version });
    if (elapsedMs !== undefined) out.elapsedMs = elapsedMs;
    if (!(await writeLine(JSON.stringify(out)))) break;
  }
  rl.close();
  // Every valid line was judged; a malformed one still makes the run a failure.
  if (invalid > 0) process.exitCode = EXIT.failure;
}

/**
 * `policy check` judges the text alone (it reaches no host): a glob the fleet expands on
 * the host before running is judged here by its pattern, and the check says so.
 */
function textAloneNotes(policy: ShellPolicy, command: string): string[] {
  const sites = policy.globSites(command);
  if (sites.length === 0) return [];
  const patterns = [...new Set(sites.map((s) => s.pattern))].join(', ');
  return [`judged by the text alone: on a host, ${patterns} ${sites.length === 1 ? 'is' : 'are'} first expanded there and each name judged, and the command runs as that list`];
}

function checkOne(policy: ShellPolicy, command: string, flags: CheckFlags): void {
  const verdict = policy.evaluate({ command, host: flags.host, requester: 'cli:policy-check', tags: flags.tag.length > 0 ? flags.tag : undefined });
  const lines = [`${verdict.decision.toUpperCase()}  (${verdict.category.replace(/_/g, ' ')})`, ...[...verdict.reasons, ...textAloneNotes(policy, command)].map((r) => `  - ${escapeControls(r)}`)];
  if ((verdict.parts?.length ?? 0) > 1) {
    lines.push('parts:');
    for (const p of verdict.parts ?? []) lines.push(`  ${p.decision.padEnd(5)} ${p.category.padEnd(20)} ${escapeControls(p.command)}`);
  }
  if (verdict.decision === 'ask') lines.push(verdict.rememberable ? 'an approval may be remembered for this exact command' : `an approval for this command cannot be remembered: ${escapeControls(verdict.notRememberable ?? 'it is approved once only')}`);
  lines.push(`policy ${policy.version}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerPolicyCommand(program: Command): void {
  const policy = program.command('policy').description('The command-safety policy: judge commands, validate policy files');

  policy
    .command('check')
    .description('Judge commands without running them. With --jsonl, reads {"command"[, "host"]} lines on stdin and writes {"command","decision","category","reasons"} lines')
    .option('--host <host>', 'the host the commands are for (host and tag rules apply)', 'localhost')
    .option('--tag <tag>', 'judge as if the host had this tag (repeatable; default: its inventory tags)', collect, [])
    .option('--jsonl', 'JSON Lines on stdin and stdout')
    .option('--explain', 'with --jsonl: add parts, rememberable, confirmation (typed-host: approving needs the host name typed), needsShell, ruleIds and policyVersion')
    .option('--policy-dir <dir>', 'use this policy directory instead of the built-in one')
    .option('--policy-file <file>', 'use this override file instead of <data dir>/policy.yaml')
    .option('--timing', 'with --jsonl: add elapsedMs, the time the decision took')
    .argument('[command...]', 'a command to judge (without --jsonl)')
    .action(async (words: string[], flags: CheckFlags) => {
      if (flags.jsonl && words.length > 0) throw new UsageError('give commands either as an argument or as --jsonl lines on stdin, not both');
      if (!flags.jsonl && words.length === 0) throw new UsageError('give a command to check, or --jsonl to read JSON Lines from stdin');
      const loaded = await loadPolicy(flags);
      if (flags.jsonl) await checkJsonl(loaded, flags);
      else checkOne(loaded, words.join(' '), flags);
    });

  policy
    .command('validate')
    .description('Load the policy (built-in files and the user override file), verify every rule example, and report')
    .option('--policy-dir <dir>', 'use this policy directory instead of the built-in one')
    .option('--policy-file <file>', 'use this override file instead of <data dir>/policy.yaml')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { policyDir?: string; policyFile?: string; json?: boolean }) => {
      const loaded = await loadPolicy(flags, true);
      const stats = loaded.stats;
      process.stdout.write(flags.json ? `${JSON.stringify({ ok: true, ...stats })}\n` : `policy ${stats.version}: ${stats.rules} rules, ${stats.programs} programs, ${stats.wrappers} wrappers; every example holds\n`);
    });
}
