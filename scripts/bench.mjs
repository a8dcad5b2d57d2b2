// `npm run bench [-- NAME...]`: builds if needed, then runs the benchmarks in test/bench
// (all of them, or the named ones) and prints a table per benchmark plus JSON in bench-results/.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuild, root } from './ensure-build.mjs';

ensureBuild();
const dir = join(root, 'test', 'bench');
const available = readdirSync(dir)
  .filter((f) => /\.bench\.mjs$/.test(f))
  .map((f) => f.replace(/\.bench\.mjs$/, ''));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  process.stderr.write(`unknown benchmark: ${unknown.join(', ')} (available: ${available.join(', ')})\n`);
  process.exit(2);
}
let allMet = true;
for (const name of wanted.length ? wanted : available) {
  const mod = await import(pathToFileURL(join(dir, `${name}.bench.mjs`)).href);
  const met = await mod.run();
  allMet &&= met !== false;
}
process.stdout.write(`\n${allMet ? 'all targets met' : 'some targets missed (see MISS rows)'}\n`);
