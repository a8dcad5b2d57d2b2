import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/build';

/**
 * Desktop smoke test. The Electron binary is a separate download that the project's npm
 * config does not run (allowScripts: electron false), so it is often absent: then this
 * reports that plainly instead of failing or passing silently.
 */
const electronPackageDir = join(repoRoot, 'node_modules', 'electron');

function electronBinary(): string | null {
  // Checked before require('electron'): when the binary is missing, requiring the
  // package tries to download it, and tests never touch the network.
  const pathFile = join(electronPackageDir, 'path.txt');
  if (!existsSync(join(electronPackageDir, 'dist')) || !existsSync(pathFile) || readFileSync(pathFile, 'utf8').trim() === '') return null;
  const binary = createRequire(join(repoRoot, 'package.json'))('electron') as unknown;
  return typeof binary === 'string' && existsSync(binary) ? binary : null;
}

const binary = electronBinary();
const title = binary
  ? 'desktop app opens a sandboxed window with the chat and answers through IPC'
  : 'Electron binary absent (npm config denies the electron install script; run `npx install-electron --no` to fetch it) — desktop smoke skipped';

describe('Electron desktop face', () => {
  it.skipIf(!binary)(
    title,
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'fm-electron-'));
      const args = [repoRoot];
      // Chromium refuses to run as root with its OS sandbox on; the renderer's sandbox: true still applies.
      if (process.getuid?.() === 0) args.unshift('--no-sandbox');
      // Without an X or Wayland display, Chromium's headless Ozone backend still renders the window.
      if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) args.unshift('--ozone-platform=headless');
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env)) if (value !== undefined && key !== 'ELECTRON_RENDERER_URL') env[key] = value;
      const app = await electron.launch({ executablePath: binary!, args, cwd: repoRoot, env: { ...env, FLEETMIND_HOME: dataDir }, timeout: 30_000 });
      try {
        const window = await app.firstWindow();
        const composer = window.getByLabel('Message', { exact: true });
        await composer.waitFor({ timeout: 20_000 });

        // The page has the typed bridge and nothing of Node.
        expect(await window.evaluate('typeof window.fleetmind')).toBe('object');
        expect(await window.evaluate('Object.keys(window.fleetmind).sort().join(",")')).toBe('invoke,on');
        expect(await window.evaluate('typeof require')).toBe('undefined');
        expect(await window.evaluate('typeof process')).toBe('undefined');

        await composer.fill('Show server status');
        await composer.press('Enter');
        const reply = window.locator('article[data-role="assistant"][data-status="complete"]').first();
        await reply.waitFor({ timeout: 20_000 });
        expect((await reply.locator('pre.reply').textContent()) ?? '').toContain(hostname());
        expect(await reply.locator('[data-tool="server_status"]').getAttribute('data-status')).toBe('ok');
        // The desktop user is the operator: history is shown.
        await window.getByRole('navigation', { name: 'Conversations' }).waitFor();
      } finally {
        await app.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
