// `npm run eval [-- --real] [-- --case TEXT]` (`npm run eval -- anomaly`: NAB scores, see eval-anomaly.mjs): scored agent conversations. By default
// against the scripted OpenAI-compatible server (deterministic); with --real against the
// model the environment configures (OPENAI_API_KEY / OPENAI_BASE_URL, FLEETMIND_MODEL).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

if (process.argv[2] === 'anomaly') {
  const { runAnomalyEval } = await import('./eval-anomaly.mjs');
  process.exit(await runAnomalyEval(process.argv.slice(3)));
}

const { values } = parseArgs({ options: { real: { type: 'boolean' }, case: { type: 'string' }, json: { type: 'boolean' } } });
if (values.real && !process.env.OPENAI_API_KEY && !process.env.OPENAI_BASE_URL) {
  process.stderr.write('eval --real needs OPENAI_API_KEY or OPENAI_BASE_URL\n');
  process.exit(2);
}
const { runnerImport } = await import('vite');
const { module } = await runnerImport(fileURLToPath(new URL('../test/eval/run-eval.ts', import.meta.url)), { configFile: false, logLevel: 'silent' });
const report = await module.runEval(values.real ? 'real' : 'scripted', values.case);
process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${module.formatReport(report)}\n`);
process.exit(report.accuracy === 1 || values.real ? 0 : 1);
