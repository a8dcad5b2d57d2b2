import { describe, expect, it } from 'vitest';
import { formatReport, runEval } from './run-eval';

describe('npm run eval (scripted server)', () => {
  it('scores every case and the agent passes them all', async () => {
    const report = await runEval('scripted');
    console.log(formatReport(report));
    expect(report.rows.length).toBeGreaterThanOrEqual(8);
    expect(report.rows.filter((r) => r.passed !== r.checks)).toEqual([]);
    expect(report.accuracy).toBe(1);
  }, 120_000);
});
