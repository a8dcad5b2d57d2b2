// `npm run eval -- anomaly [--json] [--keep DIR]`: runs the streaming anomaly detector
// (src/main/core/anomaly) over every NAB series of ../shared/corpora/nab-dev, writes NAB-format
// results, scores them with ../shared/tools/nab_score.py (standard, low-FP, low-FN, with NAB's
// optimised threshold, and again at the fixed threshold the product alerts on) and prints
// them beside NAB's published detectors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export async function runAnomalyEval(argv) {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, keep: { type: 'string' } }, allowPositionals: true });
  const { runnerImport } = await import('vite');
  const { module: h } = await runnerImport(fileURLToPath(new URL('../test/anomaly/nab-harness.ts', import.meta.url)), { configFile: false, logLevel: 'silent' });
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'fleetmind-nab-'));
  try {
    const report = h.evaluate(dir);
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${h.formatReport(report)}\n${values.keep ? `results in ${dir}\n` : ''}`);
    return 0;
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}
