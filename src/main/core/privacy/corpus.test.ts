import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Redactor } from './index';

/**
 * The shared secrets corpus (/work/shared/corpora/secrets): `secrets.jsonl` lines
 * `{"type","line","secret"}` (a secret is removed when the redacted line no longer contains
 * `secret`), `clean.jsonl` lines `{"line","bait"}` (look-alikes that must come back unchanged).
 * The rules are written for formats, not for these strings: a held-out set judges the same way.
 */
const CORPUS = process.env.FLEETMIND_SECRETS_CORPUS ?? '/work/shared/corpora/secrets';
const load = <T>(file: string): T[] =>
  readFileSync(`${CORPUS}/${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);

let available = true;
try {
  readFileSync(`${CORPUS}/secrets.jsonl`);
} catch {
  available = false;
}

describe.skipIf(!available)('secrets corpus', () => {
  it('removes >= 99 % of secrets and alters <= 2 % of clean lines', () => {
    const secrets = load<{ type: string; line: string; secret: string }>('secrets.jsonl');
    const clean = load<{ line: string; bait: string }>('clean.jsonl');
    const missed = secrets.filter((s) => new Redactor().redactText(s.line).includes(s.secret));
    const altered = clean.filter((c) => new Redactor().redactText(c.line) !== c.line);
    const recall = (secrets.length - missed.length) / secrets.length;
    const falseRate = altered.length / clean.length;
    for (const m of missed) console.log(`missed ${m.type}: ${JSON.stringify(m.line).slice(0, 200)}`);
    for (const a of altered) console.log(`altered (${a.bait}): ${JSON.stringify(new Redactor().redactText(a.line)).slice(0, 200)}`);
    console.log(`secrets corpus: ${secrets.length - missed.length}/${secrets.length} secrets removed (${(recall * 100).toFixed(1)} %), ${altered.length}/${clean.length} clean lines altered (${(falseRate * 100).toFixed(1)} %)`);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(falseRate).toBeLessThanOrEqual(0.02);
  });
});
