// `npm test`: installs the Debian packages the suite needs (as root), builds, checks types
// and architecture, then runs every test (unit, integration, end-to-end) with vitest.
import { spawnSync } from 'node:child_process';
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
step('tests', bin('vitest'), ['run', ...extra]);
