// `npm start`: the desktop app when the Electron binary and a display are present,
// otherwise the headless server (API + web UI) on 127.0.0.1:8000. `--headless` forces
// the server; `--port` and `--host` pass through.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuild, root } from './ensure-build.mjs';

const args = process.argv.slice(2);
const headless = args.includes('--headless');
const serverArgs = args.filter((a) => a !== '--headless');

function electronBinary() {
  try {
    // The electron package exports the binary's path, downloading the binary on first use
    // (its install script is not run by npm here, see allowScripts in package.json).
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

ensureBuild();

const display = process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
// Without a display there is no window to open, so do not even look for (or fetch) Electron.
const binary = headless || !display ? null : electronBinary();
if (binary && display) {
  const child = spawn(binary, [root, ...serverArgs], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!headless) {
    const why = !display
      ? 'no display is available (DISPLAY/WAYLAND_DISPLAY unset)'
      : 'the Electron binary is not installed and could not be downloaded (run `npx install-electron --no` with internet access to get the desktop app)';
    process.stderr.write(`fleetmind: starting headless because ${why}.\n`);
  }
  process.env.FLEETMIND_CLI_NO_AUTORUN = '1';
  const { main } = await import(pathToFileURL(join(root, 'out', 'main', 'cli.js')).href);
  process.exitCode = await main([process.argv[0], 'fleetmind', 'serve', ...serverArgs]);
}
