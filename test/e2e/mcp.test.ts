import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpServerListSchema } from '../../src/shared/protocol';
import { repoRoot } from '../helpers/build';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';

/**
 * The MCP page end to end in the built server's UI: the trust notice, a connected server
 * with its tools, an imported one off until confirmed (the button confirms the launch line
 * shown, and it connects), trusting from the page, and a hostile tool description shown as
 * text, never HTML.
 */
const TIMEOUT_MS = 20_000;
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'mcp-servers', 'fixture-server.mjs');

let server: RunningServer;
let page: Page;
let browser: Browser;
let consoleErrors: string[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'fm-ui-mcp-'));
const auth = () => ({ Authorization: `Bearer ${server.token}` });

async function apiList() {
  return McpServerListSchema.parse(await (await fetch(`${server.url}/api/mcp-servers`, { headers: auth() })).json());
}

beforeAll(async () => {
  writeFileSync(join(dataDir, 'config.yaml'), `mcpServers:\n  fixture:\n    command: ${JSON.stringify(process.execPath)}\n    args: [${JSON.stringify(FIXTURE)}]\n`);
  server = await startBuiltServer({ dataDir, env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
  // An imported server: off until confirmed.
  const imported = await fetch(`${server.url}/api/mcp-servers/import`, {
    method: 'POST',
    headers: { ...auth(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ mcpServers: { imported: { command: process.execPath, args: [FIXTURE], env: { FIXTURE_NAME_PREFIX: 'i_' } } } }),
  });
  expect(imported.status).toBe(200);
  browser = await launchBrowser();
  ({ page, consoleErrors } = browser);
  await page.goto(server.uiUrl);
  await page.getByRole('navigation', { name: 'Pages' }).waitFor({ timeout: TIMEOUT_MS });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('MCP page', () => {
  it('shows the trust notice, servers, tools and states; confirms an imported server and trusts one', async () => {
    await page.getByRole('link', { name: 'MCP' }).click();
    await page.getByRole('heading', { name: 'MCP servers' }).waitFor({ timeout: TIMEOUT_MS });
    await expect.poll(() => page.getByRole('note').textContent(), { timeout: TIMEOUT_MS }).toMatch(/runs as you/);

    const fixture = page.getByRole('article', { name: 'MCP server fixture' });
    await expect.poll(() => fixture.getAttribute('data-state'), { timeout: TIMEOUT_MS }).toBe('connected');
    await expect.poll(() => fixture.locator('tr[data-tool="inject"]').textContent()).toContain('fixture__inject');
    // The injected description is text on the page, nothing more.
    expect(await fixture.locator('tr[data-tool="inject"] .mcp-tool-description').textContent()).toMatch(/IMPORTANT SYSTEM INSTRUCTION/);

    const imported = page.getByRole('article', { name: 'MCP server imported' });
    expect(await imported.getAttribute('data-state')).toBe('disabled');
    expect(await imported.locator('.mcp-launch').textContent()).toContain(FIXTURE);
    await imported.getByRole('button', { name: 'Confirm and turn on' }).click();
    await expect.poll(() => imported.getAttribute('data-state'), { timeout: TIMEOUT_MS }).toBe('connected');

    await fixture.getByRole('button', { name: 'Trust read-only tools' }).click();
    await expect.poll(async () => (await apiList()).servers.find((s) => s.name === 'fixture')?.trusted, { timeout: TIMEOUT_MS }).toBe(true);
    await fixture.getByRole('combobox', { name: 'calls of write_note' }).selectOption('deny');
    await expect.poll(async () => (await apiList()).servers.find((s) => s.name === 'fixture')?.deny, { timeout: TIMEOUT_MS }).toEqual(['write_note']);
    await browser.screenshot('mcp-page.png');
    expect(consoleErrors).toEqual([]);
  }, 90_000);
});
