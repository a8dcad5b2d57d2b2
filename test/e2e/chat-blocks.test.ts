import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeControls } from '../../src/shared/text/escape-controls';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';
import { startLlmServer, type LlmServer } from '../fixtures/llm-server/index';

/**
 * Tool-call cards show the commands a call ran, per host, with exit code, duration and
 * output (issue 17 item 5), and findings as a component with a severity. Host output is
 * hostile text: HTML in it stays text and escape sequences, CRs, C1 and bidi controls show
 * as marked escapes, never obeyed.
 */
const TIMEOUT_MS = 25_000;
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/** Read-only output carrying OSC 52, an erase, a CR, an 8-bit CSI, an RLO and markup. */
const HOSTILE_COMMAND =
  "printf 'fm-out-start\\033]52;c;aGk=\\007\\033[2K\\r\\302\\233\\342\\200\\256<img src=x onerror=\"window.__fmPwned=1\"><script>window.__fmPwned=2</script><b class=fm-injected>bold</b>\\033[31mred\\033[0m fm-out-end\\n'";
const HOSTILE_OUTPUT = 'fm-out-start\x1b]52;c;aGk=\x07\x1b[2K\r\x9b\u202e<img src=x onerror="window.__fmPwned=1"><script>window.__fmPwned=2</script><b class=fm-injected>bold</b>\x1b[31mred\x1b[0m fm-out-end\n';

let browser: Browser;
let page: Page;

/** A browser of its own per server: a page left on a stopped server logs connection errors. */
async function openBrowser(server: RunningServer): Promise<void> {
  browser = await launchBrowser();
  page = browser.page;
  await page.goto(server.uiUrl);
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
}

async function send(text: string): Promise<void> {
  const composer = page.getByLabel('Message', { exact: true });
  await composer.fill(text);
  await composer.press('Enter');
}


describe('tool-call cards with the offline engine', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startBuiltServer();
    await openBrowser(server);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('server status: the card lists each command run on the host with its exit code and output, and the findings', async () => {
    await send('show server status');
    const reply = page.locator('article[data-role="assistant"][data-status="complete"]').last();
    await reply.waitFor({ timeout: TIMEOUT_MS });
    const card = reply.locator('[data-tool="server_status"]');
    const commands = card.locator('.tool-commands');
    await commands.waitFor();
    expect(await commands.locator('summary').first().textContent()).toMatch(/^Commands run \(\d+\)$/);
    // Collapsed by default for a read tool: opened, each command shows where it ran, how it ended, its output.
    await commands.locator('summary').first().click();
    const df = card.locator('.command-run', { hasText: 'df -P -T -B1' });
    expect(await df.getAttribute('data-host')).toBe('localhost');
    expect(await df.getAttribute('data-exit-code')).toBe('0');
    expect(await df.locator('.command-host').textContent()).toBe('localhost');
    expect(await df.locator('.command-text').textContent()).toBe('$ df -P -T -B1');
    expect(await df.locator('.command-exit').textContent()).toBe('exit 0');
    await df.locator('summary').click();
    const output = df.locator('pre.command-stdout');
    await output.waitFor();
    expect(await output.textContent()).toMatch(/Mounted on/);
    // Monospace (the page's --mono stack).
    const font = await output.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { fontFamily: string } }).getComputedStyle(el).fontFamily);
    expect(font).toMatch(/mono/i);

    // Findings: a component with a severity per host.
    const findings = card.locator('ul.findings li.finding');
    expect(await findings.count()).toBeGreaterThan(0);
    const severity = await findings.first().getAttribute('data-severity');
    expect(['ok', 'info', 'warning', 'critical']).toContain(severity);
    expect(await findings.first().locator('.finding-host').textContent()).toBe('localhost');
    await browser.screenshot('chat-blocks-offline.png');

    // Reopened from the stored conversation: the same commands and output (as stored, redacted).
    const id = await page.locator('main.chat-main').getAttribute('data-conversation-id');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('heading', { name: 'Ask about your servers' }).waitFor();
    await page.locator(`nav .conversation[data-conversation-id="${id}"]`).click();
    const stored = page.locator('article[data-role="assistant"]').last().locator('[data-tool="server_status"] .command-run', { hasText: 'df -P -T -B1' });
    await stored.waitFor({ state: 'attached', timeout: TIMEOUT_MS });
    expect(await stored.locator('pre.command-stdout').textContent()).toMatch(/Mounted on/);
    expect(browser.consoleErrors).toEqual([]);
  });
});

describe('tool-call cards with hostile host output (scripted model)', () => {
  let llm: LlmServer;
  let server: RunningServer;
  beforeAll(async () => {
    llm = await startLlmServer({
      scenario: [
        { match: { toolResult: 'run_command' }, respond: { text: 'Done.' } },
        { match: { lastUser: 'create the hostile banner', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: HOSTILE_COMMAND, purpose: 'create the banner' } }] } },
      ],
    });
    server = await startBuiltServer({ env: { OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' } });
    await openBrowser(server);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await llm?.stop();
  });

  it('run_command: the command and its output are shown open, with markup inert and controls as marked escapes', async () => {
    await send('please create the hostile banner');
    const reply = page.locator('article[data-role="assistant"][data-status="complete"]').last();
    await reply.waitFor({ timeout: TIMEOUT_MS });
    const run = reply.locator('[data-tool="run_command"] .command-run').first();
    await run.waitFor();
    expect(await run.getAttribute('data-host')).toBe('localhost');
    expect(await run.locator('.command-exit').textContent()).toBe('exit 0');
    expect(await run.locator('.command-text').textContent()).toBe(`$ ${escapeControls(HOSTILE_COMMAND)}`);
    const out = run.locator('pre.command-stdout');
    // Open without a click: for run_command the output is the point.
    expect(await out.isVisible()).toBe(true);
    const text = (await out.textContent()) ?? '';
    expect(text).toBe(escapeControls(HOSTILE_OUTPUT, { multiline: true }));
    expect(text).toContain('fm-out-start\\x1b]52;c;aGk=\\x07\\x1b[2K\\r\\x9b\\u202e<img src=x onerror="window.__fmPwned=1"><script>');
    expect(text).not.toMatch(RAW_CONTROL);
    expect(await out.locator('.control-char').count()).toBeGreaterThanOrEqual(8);
    // The markup is text: no element was created from it, no handler ran.
    expect(await reply.locator('img, script, b.fm-injected').count()).toBe(0);
    expect(await page.evaluate('typeof window.__fmPwned')).toBe('undefined');
    expect(await page.locator('main').textContent()).not.toMatch(RAW_CONTROL);
    await browser.screenshot('chat-blocks-hostile.png');
    expect(browser.consoleErrors).toEqual([]);
  });
});
