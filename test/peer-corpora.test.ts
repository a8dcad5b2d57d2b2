import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultPolicy, type ShellPolicy } from '../src/main/core/safety';
import type { Decision } from '../src/main/core/safety/types';
import { repoRoot } from './helpers/build';

/**
 * Other agents' command-classifier test cases (test/fixtures/peer-cases, extracted by
 * scripts/extract-peer-cases.mjs, see its README) and the everyday operator set
 * (test/fixtures/everyday/commands.jsonl). Prints the figures and asserts:
 *   - no peer-unsafe command is allowed, except those reviewed as harmless
 *     (peer-cases/reviewed.jsonl: each with the reason the peer's label was conservative);
 *   - >= 90 % of peer-safe commands are allowed;
 *   - everyday inspection >= 95 % allowed; nothing in the everyday set is denied and no
 *     routine change is allowed.
 */
const peerDir = join(repoRoot, 'test', 'fixtures', 'peer-cases');
const everydayFile = join(repoRoot, 'test', 'fixtures', 'everyday', 'commands.jsonl');

interface PeerCase { command: string; label: 'safe' | 'unsafe'; peer: string; source: string; note?: string }
interface Everyday { command: string; expected: 'allow' | 'ask'; section: string }

const jsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);

const peerFiles = existsSync(peerDir) ? readdirSync(peerDir).filter((f) => f.endsWith('.jsonl') && !['excluded.jsonl', 'reviewed.jsonl'].includes(f)) : [];
const reviewed = existsSync(join(peerDir, 'reviewed.jsonl'))
  ? new Map(jsonl<{ command: string; why: string }>(join(peerDir, 'reviewed.jsonl')).map((r) => [r.command, r.why]))
  : new Map<string, string>();

describe('peer and everyday command sets', () => {
  let policy: ShellPolicy;
  const judge = (command: string): { decision: Decision; reason: string } => {
    const v = policy.evaluate({ command, host: 'corpus', requester: 'test:peer-corpora' });
    return { decision: v.decision, reason: v.reasons[0] ?? '' };
  };
  const pct = (n: number, d: number) => `${d ? ((100 * n) / d).toFixed(1) : '100.0'}%`;

  beforeAll(async () => {
    policy = await loadDefaultPolicy();
  });

  it('allows no truly dangerous peer-unsafe command and >= 90% of peer-safe ones', () => {
    const cases = peerFiles.flatMap((f) => jsonl<PeerCase>(join(peerDir, f)));
    const unsafe = cases.filter((c) => c.label === 'unsafe');
    const safe = cases.filter((c) => c.label === 'safe');
    const unsafeAllowed = unsafe.filter((c) => judge(c.command).decision === 'allow');
    const dangerousAllowed = unsafeAllowed.filter((c) => !reviewed.has(c.command));
    const safeJudged = safe.map((c) => ({ c, ...judge(c.command) }));
    const safeAllowed = safeJudged.filter((s) => s.decision === 'allow').length;
    for (const c of dangerousAllowed) console.log(`  peer-unsafe allowed: [${c.peer}] ${JSON.stringify(c.command)}`);
    for (const s of safeJudged.filter((x) => x.decision !== 'allow')) console.log(`  peer-safe not allowed: [${s.c.peer}] ${JSON.stringify(s.c.command)} -> ${s.decision} (${s.reason})`);
    process.stdout.write(
      `peer cases: ${cases.length} (${peerFiles.length} peers); unsafe ${unsafe.length}: allowed ${unsafeAllowed.length} ` +
        `(${unsafeAllowed.length - dangerousAllowed.length} reviewed harmless, ${dangerousAllowed.length} truly dangerous); ` +
        `safe ${safe.length}: allowed ${safeAllowed} (${pct(safeAllowed, safe.length)})\n`,
    );
    expect(dangerousAllowed.map((c) => c.command)).toEqual([]);
    expect(safeAllowed / Math.max(1, safe.length)).toBeGreaterThanOrEqual(0.9);
  });

  it('allows >= 95% of everyday inspection, denies nothing, allows no routine change', () => {
    const rows = jsonl<Everyday>(everydayFile).map((r) => ({ r, ...judge(r.command) }));
    const reads = rows.filter((x) => x.r.expected === 'allow');
    const changes = rows.filter((x) => x.r.expected === 'ask');
    const readsAllowed = reads.filter((x) => x.decision === 'allow').length;
    const denied = rows.filter((x) => x.decision === 'deny');
    const changesAllowed = changes.filter((x) => x.decision === 'allow');
    for (const x of reads.filter((y) => y.decision !== 'allow')) console.log(`  everyday read not allowed: ${x.r.command} -> ${x.decision} (${x.reason})`);
    for (const x of denied) console.log(`  everyday denied: ${x.r.command} (${x.reason})`);
    for (const x of changesAllowed) console.log(`  everyday change allowed: ${x.r.command}`);
    process.stdout.write(
      `everyday: ${rows.length} commands; inspection ${reads.length}: allowed ${readsAllowed} (${pct(readsAllowed, reads.length)}); ` +
        `routine changes ${changes.length}: ask ${changes.filter((x) => x.decision === 'ask').length}, allowed ${changesAllowed.length}; denied ${denied.length}\n`,
    );
    // Acceptance targets (DESIGN: deny only for what no operator should approve from a console).
    expect(readsAllowed / reads.length).toBeGreaterThanOrEqual(0.95);
    expect(denied.map((x) => x.r.command)).toEqual([]);
    expect(changesAllowed.map((x) => x.r.command)).toEqual([]);
  });
});
