// `npm test`: installs the Debian packages the suite needs (as root), builds, checks types
// and architecture, then runs every test (unit, integration, end-to-end) with vitest.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuild, root } from './ensure-build.mjs';

function step(title, command, args, options = {}) {
  process.stderr.write(`\n▶ ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    process.stderr.write(`✗ ${title} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status || 1);
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
const extra = process.argv.slice(2);

step('system packages', 'bash', [join(root, 'scripts', 'install-system-deps.sh')]);
process.stderr.write('\n▶ build\n');
ensureBuild({ quiet: true });
step('type check', bin('tsc'), ['-b', 'tsconfig.json']);
const report = join(root, 'test-results', 'vitest.json');
process.stderr.write('\n▶ tests\n');
const tests = spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], { cwd: root, stdio: 'inherit' });
// One plain closing line that CI systems read: "tests: N passed, N failed, N skipped".
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  process.stdout.write(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`);
} catch {
  process.stdout.write('\ntests: the vitest report is missing; see the output above\n');
}
process.exit(tests.status ?? 1);
