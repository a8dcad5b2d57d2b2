import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultPolicy, type ShellPolicy } from './index';
import type { Decision, SafetyCategory } from './types';

/**
 * The command corpora (../shared/corpora/commands next to the repository): shell
 * escapes and credential reads from GTFOBins and mutating commands must never be
 * allowed; read-only inspection commands should be (>= 95%). The figures are printed
 * so a run shows how close the policy is, not only whether it passed.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const corporaDir = process.env.FLEETMIND_CORPORA ?? join(repoRoot, '..', 'shared', 'corpora', 'commands');
const present = existsSync(join(corporaDir, 'benign.jsonl'));

if (!present) {
  console.log(`corpora not found at ${corporaDir}: skipping the corpus test (set FLEETMIND_CORPORA to run it)`);
}

interface Outcome {
  command: string;
  decision: Decision;
  category: SafetyCategory;
  reasons: string[];
}

function load(file: string, field: string): string[] {
  return readFileSync(join(corporaDir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => String((JSON.parse(l) as Record<string, unknown>)[field]));
}

function tally(outcomes: Outcome[]): string {
  const count = (d: Decision) => outcomes.filter((o) => o.decision === d).length;
  const pct = (n: number) => `${((100 * n) / outcomes.length).toFixed(1)}%`;
  return `${outcomes.length} commands: allow ${count('allow')} (${pct(count('allow'))}), ask ${count('ask')} (${pct(count('ask'))}), deny ${count('deny')} (${pct(count('deny'))})`;
}

describe.skipIf(!present)('command corpora', () => {
  let policy: ShellPolicy;
  const judge = (command: string): Outcome => {
    const v = policy.evaluate({ command, host: 'corpus', requester: 'test:corpora' });
    return { command, decision: v.decision, category: v.category, reasons: v.reasons };
  };

  beforeAll(async () => {
    policy = await loadDefaultPolicy();
  });

  it('allows none of the GTFOBins escapes, credential reads and uploads', () => {
    const outcomes = load('gtfobins.jsonl', 'code').map(judge);
    console.log(`gtfobins.jsonl  ${tally(outcomes)}`);
    expect(outcomes.filter((o) => o.decision === 'allow')).toEqual([]);
  });

  it('allows none of the mutating commands, wherever they hide', () => {
    const outcomes = load('mutating.jsonl', 'command').map(judge);
    console.log(`mutating.jsonl  ${tally(outcomes)}`);
    expect(outcomes.filter((o) => o.decision === 'allow')).toEqual([]);
  });

  it('allows at least 95% of the read-only inspection commands', () => {
    const outcomes = load('benign.jsonl', 'command').map(judge);
    const allowed = outcomes.filter((o) => o.decision === 'allow').length;
    console.log(`benign.jsonl    ${tally(outcomes)}`);
    for (const o of outcomes.filter((x) => x.decision !== 'allow')) console.log(`  not allowed: ${o.command} -> ${o.decision} (${o.reasons[0] ?? ''})`);
    expect(allowed / outcomes.length).toBeGreaterThanOrEqual(0.95);
  });
});
