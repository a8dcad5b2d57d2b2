import { hostname } from 'node:os';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';

/**
 * The browser face end to end: the real built server, Debian's Chromium driven by
 * playwright-core, the real offline engine answering from this machine.
 */
const REPLY_TIMEOUT_MS = 20_000;

let server: RunningServer;
let context: BrowserContext;
let page: Page;
let browser: Browser;
let consoleErrors: string[] = [];

const composer = () => page.getByLabel('Message', { exact: true });
const assistantReplies = () => page.locator('article[data-role="assistant"]');
const conversationIdShown = () => page.locator('main.chat-main').getAttribute('data-conversation-id');

/** Types a message, presses Enter and waits until reply number `index` has finished (or failed). */
async function ask(text: string, index: number): Promise<Locator> {
  await composer().fill(text);
  await composer().press('Enter');
  const reply = assistantReplies().nth(index);
  await page.locator('article[data-role="assistant"]:not([data-status="streaming"])').nth(index).waitFor({ timeout: REPLY_TIMEOUT_MS });
  return reply;
}

const screenshot = (name: string) => browser.screenshot(name);

beforeAll(async () => {
  server = await startBuiltServer();
  browser = await launchBrowser();
  ({ context, page, consoleErrors } = browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('web UI served by the headless server', () => {
  it('opens with the operator session: history sidebar, offline engine badge, focused message box', async () => {
    // uiUrl is the single-use link /auth/<code>: it sets a session cookie and redirects (303) to the app.
    await page.goto(server.uiUrl);
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    // Neither the address bar nor the cookie holds a credential that outlives the link.
    expect(page.url()).toBe(`${server.url}/`);
    const cookies = await context.cookies(server.url);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookies[0]!.value).not.toContain(server.token);
    await page.locator('.app-header .badge-offline', { hasText: 'offline engine' }).waitFor();
    await page.locator('.app-header', { hasText: hostname() }).waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('composer-input');
    await screenshot('ui-empty.png');
  });

  it('answers "Show server status" with this machine’s hostname and an ok server_status card', async () => {
    const reply = await ask('Show server status', 0);
    expect(await reply.getAttribute('data-status')).toBe('complete');
    const text = (await reply.locator('pre.reply').textContent()) ?? '';
    expect(text).toContain(hostname());
    expect(text).toContain('offline engine');

    const card = reply.locator('[data-tool="server_status"]');
    expect(await card.getAttribute('data-status')).toBe('ok');
    expect(await card.locator('.tool-status').textContent()).toBe('ok');
    expect(await card.locator('.tool-duration').textContent()).toMatch(/\d+(\.\d+)? (ms|s)$/);
    expect((await card.locator('.tool-summary').textContent()) ?? '').not.toBe('');
    await reply.locator('.badge-offline').waitFor();

    // Arguments stay folded until asked for, by keyboard as well as by mouse.
    const head = card.locator('.tool-head');
    expect(await head.getAttribute('aria-expanded')).toBe('false');
    await head.focus();
    await page.keyboard.press('Enter');
    expect(await head.getAttribute('aria-expanded')).toBe('true');
    await card.locator('.tool-args').waitFor();
    expect(await card.locator('.tool-args pre').textContent()).toContain('{}');
    await screenshot('ui-status-reply.png');
  });

  it('continues the same conversation with a second message', async () => {
    const firstId = await conversationIdShown();
    expect(firstId).toBeTruthy();

    const reply = await ask('Disk usage', 1);
    expect(await reply.getAttribute('data-status')).toBe('complete');
    expect(await reply.locator('[data-tool="disk_usage"]').getAttribute('data-status')).toBe('ok');
    expect(await conversationIdShown()).toBe(firstId);

    const stored = (await (await fetch(`${server.url}/api/conversations/${firstId}`, { headers: { Authorization: `Bearer ${server.token}` } })).json()) as {
      messages: { role: string }[];
    };
    expect(stored.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);

    // The sidebar lists it once, marked as the current conversation.
    const entry = page.locator(`nav .conversation[data-conversation-id="${firstId}"]`);
    await entry.waitFor();
    expect(await page.locator('nav .conversation').count()).toBe(1);
    expect(await entry.getAttribute('aria-current')).toBe('true');
  });

  it('answers a message naming an unknown host clearly, without breaking the page', async () => {
    const reply = await ask('status of web-99', 2);
    expect(await reply.getAttribute('data-status')).toBe('complete');
    const text = (await reply.locator('pre.reply').textContent()) ?? '';
    expect(text).toContain('web-99');
    expect(text).toMatch(/don't know a host/);
    expect(await composer().isEnabled()).toBe(true);
    expect(consoleErrors).toEqual([]);

    await screenshot('ui-chat.png');
    // The top of the conversation: the first reply with its expanded tool card.
    await page.evaluate("document.querySelector('.message-scroller').scrollTop = 0");
    await screenshot('ui-chat-top.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('ui-chat-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('starts a new conversation and reopens the old one from the sidebar', async () => {
    const oldId = await conversationIdShown();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('heading', { name: 'Ask about your servers' }).waitFor();
    expect(await conversationIdShown()).toBe('');
    expect(await assistantReplies().count()).toBe(0);

    await page.locator(`nav .conversation[data-conversation-id="${oldId}"]`).click();
    await page.locator('article[data-role="assistant"]').nth(2).waitFor();
    expect(await page.locator('article[data-role="user"]').count()).toBe(3);
    expect(await conversationIdShown()).toBe(oldId);
    // History keeps the tool cards with their outcome.
    expect(await assistantReplies().nth(0).locator('[data-tool="server_status"]').getAttribute('data-status')).toBe('ok');
  });

  it('shows an HTTP error ({error:{code,message}}) as an alert and keeps working', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.route('**/api/chat', (route) =>
      route.fulfill({
        status: 413,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'payload_too_large', message: 'message is longer than 16000 characters' } }),
      }),
    );
    try {
      const reply = await ask('this request is answered by an intercepted error', 0);
      expect(await reply.getAttribute('data-status')).toBe('failed');
      const alert = reply.getByRole('alert');
      expect(await alert.textContent()).toContain('message is longer than 16000 characters');
      expect(await alert.textContent()).toContain('payload_too_large');
    } finally {
      await page.unroute('**/api/chat');
    }
    expect(await composer().isEnabled()).toBe(true);
  });

  it('shows an `error` stream event and settles the running tool card as failed', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    const events = [
      { type: 'tool_call', conversationId: 'c-1', id: 't-1', tool: 'server_status', args: {}, host: 'localhost' },
      { type: 'error', conversationId: 'c-1', error: { code: 'internal', message: 'the offline engine failed: simulated' } },
    ];
    await page.route('**/api/chat', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/event-stream',
        body: events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(''),
      }),
    );
    try {
      const reply = await ask('stream an error', 0);
      expect(await reply.getAttribute('data-status')).toBe('failed');
      expect(await reply.getByRole('alert').textContent()).toContain('simulated');
      expect(await reply.locator('[data-tool="server_status"]').getAttribute('data-status')).toBe('failed');
      await screenshot('ui-error.png');
    } finally {
      await page.unroute('**/api/chat');
    }

    // The real server answers the next message normally.
    await page.getByRole('button', { name: 'New conversation' }).click();
    const reply = await ask('memory usage', 0);
    expect(await reply.getAttribute('data-status')).toBe('complete');
    expect(await reply.locator('[data-tool="memory"]').getAttribute('data-status')).toBe('ok');
  });

  it('stops an answer in progress with Escape and accepts the next message', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    // Hold the request open so the answer is still "in progress" when Escape is pressed.
    await page.route('**/api/chat', () => undefined);
    try {
      await composer().fill('this answer never arrives');
      await composer().press('Enter');
      await page.getByRole('button', { name: 'Stop' }).waitFor();
      await composer().press('Escape');
      const reply = page.locator('article[data-role="assistant"][data-status="stopped"]');
      await reply.waitFor();
      expect(await reply.textContent()).toContain('Stopped before the answer was complete');
    } finally {
      await page.unroute('**/api/chat');
    }
    const reply = await ask('memory usage', 1);
    expect(await reply.getAttribute('data-status')).toBe('complete');
  });

  it('sends a suggested question with one click and returns focus to the message box', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('button', { name: 'Disk usage' }).click();
    await page.locator('article[data-role="assistant"][data-status="complete"]').first().waitFor({ timeout: REPLY_TIMEOUT_MS });
    expect(await page.locator('[data-tool="disk_usage"]').getAttribute('data-status')).toBe('ok');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('composer-input');
  });

  it('shows the sign-in page, not the app, for a sign-in link that was already used', async () => {
    await page.goto(server.uiUrl);
    await page.getByRole('heading', { name: 'Sign in to Fleetmind' }).waitFor();
    expect(await page.locator('pre', { hasText: 'fleetmind ui-link' }).count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Conversations' }).count()).toBe(0);
  });

  it('hides conversation history from a session without the operator token', async () => {
    await context.clearCookies();
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Ask about your servers' }).waitFor();
    await page.locator('.app-header .badge-offline').waitFor();
    expect(await page.getByRole('navigation', { name: 'Conversations' }).count()).toBe(0);
    // Chatting still works without the token (DESIGN: loopback may chat and read).
    const reply = await ask('Show server status', 0);
    expect((await reply.locator('pre.reply').textContent()) ?? '').toContain(hostname());
    await screenshot('ui-guest.png');
  });
});
