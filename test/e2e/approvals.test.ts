import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';
import { startLlmServer, type LlmServer } from '../fixtures/llm-server/index';

/**
 * The approval dialog end to end: the built server driving a scripted OpenAI-compatible
 * model that asks to run `touch <marker>`, Debian's Chromium deciding with the keyboard,
 * and the agent's continuation streaming into the open conversation. Then the operator
 * pages: providers (settings) and usage.
 */
const TIMEOUT_MS = 20_000;
/** The dialog ignores keys for a moment after it opens (a held Enter must not approve). */
const ARMING_WAIT_MS = 600;

let llm: LlmServer;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), 'fm-ui-approvals-'));
let consoleErrors: string[] = [];

const composer = () => page.getByLabel('Message', { exact: true });
const dialog = () => page.getByRole('dialog');
const replies = () => page.locator('article[data-role="assistant"]');

const screenshot = (name: string) => browser.screenshot(name);

async function send(text: string): Promise<void> {
  await composer().fill(text);
  await composer().press('Enter');
}

/** Waits for the approval dialog showing this exact command, armed for keys. */
async function approvalFor(command: string): Promise<Locator> {
  const shown = dialog();
  await shown.getByRole('heading', { name: 'Approval required' }).waitFor({ timeout: TIMEOUT_MS });
  expect(await shown.locator('.approval-dialog-command code').textContent()).toBe(command);
  await page.waitForTimeout(ARMING_WAIT_MS);
  return shown;
}

beforeAll(async () => {
  llm = await startLlmServer({
    scenario: [
      { match: { lastUser: 'The operator DENIED' }, respond: { text: 'Understood: I will not run it. {{lastUser|firstLine|maxChars=200}}' } },
      { match: { lastUser: 'The operator APPROVED' }, respond: { text: 'It ran. {{lastUser|firstLine|maxChars=200}}' } },
      { match: { toolResult: 'run_command' }, respond: { text: 'Queued: {{toolResult:run_command|firstLine|maxChars=300}}' } },
      {
        match: { lastUser: 'create the marker (\\S+)', hasToolResult: false },
        respond: { tool_calls: [{ name: 'run_command', arguments: { command: 'touch {{lastUser.1}}', purpose: 'the operator asked for a marker file' } }] },
      },
    ],
  });
  server = await startBuiltServer({ env: { OPENAI_BASE_URL: llm.baseURL, FLEETMIND_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: '' } });
  browser = await launchBrowser();
  ({ context, page, consoleErrors } = browser);
  await page.goto(server.uiUrl);
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await llm?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('approval dialog in the browser UI (scripted model)', () => {
  it('shows the exact command and host; approving with the keyboard runs it and the agent continues in the chat', async () => {
    const marker = join(scratch, 'approved-marker');
    const command = `touch ${marker}`;
    await send(`please create the marker ${marker}`);
    const shown = await approvalFor(command);

    expect(await shown.locator('.approval-hosts li').allTextContents()).toEqual([expect.stringMatching(/^localhost/)]);
    // The policy engine's category for `touch` (mutating, or unknown before the per-program rules load); shown, whatever it is.
    expect(await shown.locator('[data-category]').getAttribute('data-category')).toMatch(/^(mutating|unknown)$/);
    expect(await shown.locator('.approval-purpose').textContent()).toContain('the operator asked for a marker file');
    expect(await shown.locator('.approval-expiry').textContent()).toMatch(/expires in \d+(:\d\d| h)/);
    expect(await shown.textContent()).toContain('ask the agent for a different command');
    // The server runs commands on localhost as its own user: root in CI containers.
    const runsAsRoot = process.getuid?.() === 0;
    expect(await shown.locator('.approval-root').count()).toBe(runsAsRoot ? 1 : 0);
    if (runsAsRoot) expect(await shown.locator('.approval-root').textContent()).toMatch(/Runs as ROOT on localhost/);
    // The command is shown, not offered for editing.
    expect(await shown.locator('textarea, input').count()).toBe(0);
    // Focus stays in the dialog, whatever Tab does.
    for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(`document.activeElement?.closest('[role="dialog"]') !== null`)).toBe(true);
    // The reply behind the dialog records the request.
    const notice = page.locator('.approval[data-approval-state="pending"]');
    await notice.waitFor();
    expect(await notice.locator('.approval-command').textContent()).toBe(command);
    await screenshot('approval-dialog.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('approval-dialog-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(existsSync(marker)).toBe(false);

    await page.keyboard.press('a');
    const outcome = dialog().locator('[data-outcome="approved"]');
    await outcome.waitFor({ timeout: TIMEOUT_MS });
    expect(await outcome.locator('.result-row[data-host="localhost"]').getAttribute('data-ok')).toBe('true');
    expect(await outcome.locator('.result-status').textContent()).toBe('exit 0');
    await screenshot('approval-approved.png');
    expect(existsSync(marker)).toBe(true);

    // The agent continues by itself; its reply streams into the open conversation.
    const continuation = page.locator('article[data-role="assistant"][data-continuation="true"][data-status="complete"]');
    await continuation.waitFor({ timeout: TIMEOUT_MS });
    expect(await continuation.locator('pre.reply').textContent()).toMatch(/^It ran\./);
    expect(await continuation.locator('[data-tool="run_command"]').getAttribute('data-status')).toBe('ok');
    // Once: the turn is not shown twice, and the request is marked approved.
    expect(await page.locator('article[data-role="assistant"][data-continuation="true"]').count()).toBe(1);
    await page.locator('.approval[data-approval-state="approved"]').waitFor();
    // The outcome closes by itself when everything went well.
    await dialog().waitFor({ state: 'detached', timeout: TIMEOUT_MS });
    expect(await page.locator('.approvals-badge').count()).toBe(0);
    await screenshot('approval-continued.png');
  });

  it('Esc leaves a request pending behind a header badge; denying with a reason runs nothing and the agent says so', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    const marker = join(scratch, 'denied-marker');
    const command = `touch ${marker}`;
    await send(`please create the marker ${marker}`);
    await approvalFor(command);

    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    const badge = page.locator('.approvals-badge');
    await badge.waitFor();
    expect(await badge.locator('.approvals-badge-count').textContent()).toBe('1');
    // Closing decided nothing.
    expect(existsSync(marker)).toBe(false);
    await screenshot('approval-badge.png');

    await badge.click();
    const shown = await approvalFor(command);
    await page.keyboard.press('d');
    const reason = shown.getByLabel(/Reason for denying/);
    await reason.waitFor();
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('TEXTAREA');
    await page.keyboard.type('not during business hours');
    await screenshot('approval-deny.png');
    await page.keyboard.press('Enter');

    const outcome = dialog().locator('[data-outcome="denied"]');
    await outcome.waitFor({ timeout: TIMEOUT_MS });
    expect(await outcome.textContent()).toContain('not during business hours');
    const continuation = page.locator('article[data-role="assistant"][data-continuation="true"][data-status="complete"]');
    await continuation.waitFor({ timeout: TIMEOUT_MS });
    expect(await continuation.locator('pre.reply').textContent()).toMatch(/^Understood: I will not run it/);
    await page.locator('.approval[data-approval-state="denied"]').waitFor();
    expect(existsSync(marker)).toBe(false);
    const sent = llm.chatRequests.at(-1)!.body as { messages: { content: string }[] };
    expect(sent.messages.at(-1)!.content).toMatch(/DENIED .* saying: "not during business hours"/);
    await dialog().waitFor({ state: 'detached', timeout: TIMEOUT_MS });
    await screenshot('approval-denied.png');
  });

  it('lists every host of a fan-out request and flags the root ones', async () => {
    const hosts = Array.from({ length: 14 }, (_, i) => `web-${String(i + 1).padStart(2, '0')}`);
    const now = Date.now();
    const fanOut = {
      id: 'fan-out-1',
      command: 'systemctl restart nginx',
      hosts,
      category: 'mutating',
      reasons: ['systemctl restart changes a running service'],
      purpose: 'pick up the new TLS certificate',
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 45_000).toISOString(),
      conversationId: null,
      requester: 'cli',
      policyVersion: 'test',
      status: 'pending',
      decidedAt: null,
      decisionReason: null,
      rememberable: true,
      rootHosts: ['web-03', 'web-11'],
    };
    // The fleet here is this machine alone, so a fan-out request is simulated at the HTTP boundary.
    await page.route('**/api/approvals', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ approvals: [fanOut] }) }));
    try {
      // Window focus is one of the moments the list is fetched again.
      await page.evaluate("window.dispatchEvent(new Event('focus'))");
      const shown = await approvalFor('systemctl restart nginx');
      expect(await shown.locator('.approval-hosts li').count()).toBe(14);
      expect(await shown.locator('.approval-hosts .host-chip-root').allTextContents()).toEqual(['web-03root', 'web-11root']);
      expect(await shown.locator('.approval-root').textContent()).toContain('web-03, web-11');
      expect(await shown.locator('dt', { hasText: 'Hosts (14)' }).count()).toBe(1);
      expect(await shown.getByRole('button', { name: /for these 14 hosts/ }).count()).toBe(1);
      expect(await shown.locator('.approval-expiry').textContent()).toMatch(/expires in 0:[0-4]\d/);
      await screenshot('approval-fan-out.png');
      await page.keyboard.press('Escape');
      await dialog().waitFor({ state: 'detached' });
    } finally {
      await page.unroute('**/api/approvals');
    }
    await page.evaluate("window.dispatchEvent(new Event('focus'))");
    await page.locator('.approvals-badge').waitFor({ state: 'detached' });
  });

  it('a production request shows why, and Approve waits until the host name is typed; the typed name goes to the server', async () => {
    const now = Date.now();
    const production = {
      id: 'prod-1',
      command: 'systemctl restart nginx',
      hosts: ['web-1'],
      category: 'mutating',
      reasons: ['web-1 is tagged production: type its name to approve', '"systemctl restart nginx": changes the state of services or of systemd itself'],
      purpose: 'pick up the new TLS certificate',
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 600_000).toISOString(),
      conversationId: null,
      requester: 'cli:exec',
      policyVersion: 'test',
      status: 'pending',
      decidedAt: null,
      decisionReason: null,
      rememberable: false,
      notRememberable: 'web-1 is tagged production: every approval there needs its name typed, so none is remembered',
      rootHosts: [],
      confirmation: { kind: 'typed-host', hosts: ['web-1'], reasons: ['web-1 is tagged production: type its name to approve'] },
    };
    // The fleet here is this machine alone (localhost takes no tags), so the request is simulated at the
    // HTTP boundary; the server's own check of the names is tested in test/production-approvals.test.ts.
    let listed: unknown[] = [production];
    const decisions: unknown[] = [];
    await page.route('**/api/approvals', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ approvals: listed }) }));
    await page.route('**/api/approvals/prod-1', (route) => {
      decisions.push(route.request().postDataJSON());
      listed = [];
      const approval = { ...production, status: 'approved', decidedAt: new Date().toISOString(), confirmation: null };
      const results = [{ host: 'web-1', ok: true, exitCode: 0, stdout: '', stderr: '', durationMs: 12, error: null }];
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ approval, results, remembered: [] }) });
    });
    try {
      await page.evaluate("window.dispatchEvent(new Event('focus'))");
      const shown = await approvalFor('systemctl restart nginx');
      const warning = shown.locator('[data-testid="approval-production"]');
      expect(await warning.getAttribute('data-production-hosts')).toBe('web-1');
      expect(await warning.locator('[role="alert"]').textContent()).toMatch(/Production: this changes a production host\. It runs only once you type its name/);
      expect(await warning.locator('li').allTextContents()).toEqual(['web-1 is tagged production: type its name to approve']);
      expect(await shown.locator('[data-testid="approval-remember-refusal"]').textContent()).toMatch(/none is remembered/);
      const approveButton = shown.getByRole('button', { name: /Approve once/ });
      const field = shown.getByLabel('Type web-1 to approve');
      expect(await approveButton.isDisabled()).toBe(true);
      // Neither the shortcut nor Enter approves without the name.
      await page.keyboard.press('a');
      await field.fill('web-2');
      await field.press('Enter');
      expect(await approveButton.isDisabled()).toBe(true);
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      await field.fill('WEB-1');
      expect(await approveButton.isDisabled()).toBe(true);
      expect(decisions).toEqual([]);
      await screenshot('approval-production.png');

      await field.fill('web-1');
      expect(await approveButton.isDisabled()).toBe(false);
      await approveButton.click();
      await dialog().locator('[data-outcome="approved"]').waitFor({ timeout: TIMEOUT_MS });
      expect(decisions).toEqual([{ decision: 'approve', remember: 'once', confirmHosts: ['web-1'] }]);
      await dialog().waitFor({ state: 'detached', timeout: TIMEOUT_MS });
    } finally {
      await page.unroute('**/api/approvals/prod-1');
      await page.unroute('**/api/approvals');
    }
    await page.evaluate("window.dispatchEvent(new Event('focus'))");
    await page.locator('.approvals-badge').waitFor({ state: 'detached' });
  });

  it('reloading the conversation keeps the approved run with the continued reply', async () => {
    const first = page.locator('nav .conversation').last();
    await first.click();
    const continuation = page.locator('article[data-role="assistant"][data-continuation="true"]');
    await continuation.waitFor();
    expect(await continuation.locator('[data-tool="run_command"]').getAttribute('data-status')).toBe('ok');
    expect(await continuation.locator('pre.reply').textContent()).toMatch(/^It ran\./);
  });

  it('settings list the provider with where its key comes from; test connection shows the models', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Model providers' }).waitFor();
    const card = page.locator('.provider-card[data-provider="local"]');
    await card.waitFor();
    expect(await card.locator('[data-origin]').getAttribute('data-origin')).toBe('env');
    expect(await card.textContent()).toContain(llm.baseURL);
    expect(await card.locator('.key-source').textContent()).toBe('no key');
    // Environment providers are not removed from here.
    expect(await card.getByRole('button', { name: 'Remove' }).isDisabled()).toBe(true);

    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.locator('.test-ok').waitFor({ timeout: TIMEOUT_MS });
    expect(await card.locator('.test-ok').textContent()).toMatch(/Connected · 2 models · \d+ ms/);
    await screenshot('settings.png');

    // Adding a provider: validation first, then the core takes it; the key field never keeps a key.
    const form = page.locator('form.add-provider');
    await form.getByLabel('Name').fill('Bad Name');
    await form.getByRole('button', { name: 'Add provider' }).click();
    await form.locator('.form-problem').waitFor();
    // A key goes to the core once (the OS keychain, or a clear refusal without one) and never back to the page.
    const secret = 'sk-fleetmind-e2e-0123456789';
    await form.getByLabel('Name').fill('vllm');
    await form.getByLabel('Base URL').fill('http://127.0.0.1:8001/v1');
    await form.getByLabel('API key').fill(secret);
    await form.getByRole('button', { name: 'Add provider' }).click();
    await form.locator('.form-success, [role="alert"]').first().waitFor({ timeout: TIMEOUT_MS });
    expect(await form.getByLabel('API key').inputValue()).toBe('');
    if ((await form.locator('.form-success').count()) > 0) {
      const withKey = page.locator('.provider-card[data-provider="vllm"]');
      await withKey.waitFor();
      expect(await withKey.locator('.key-source').textContent()).toBe('OS keychain');
      await withKey.getByRole('button', { name: 'Remove' }).click();
      await withKey.getByRole('group').getByRole('button', { name: 'Remove' }).click();
      await withKey.waitFor({ state: 'detached', timeout: TIMEOUT_MS });
    } else {
      expect(await form.getByRole('alert').textContent()).toMatch(/cannot store the API key/i);
      await screenshot('settings-no-keychain.png');
      // Chromium logs the refused request (503) itself; that one is expected.
      const refused = consoleErrors.findIndex((e) => /status of 503/.test(e));
      if (refused >= 0) consoleErrors.splice(refused, 1);
    }
    expect(await page.content()).not.toContain(secret);

    await form.getByLabel('Name').fill('ollama');
    await form.getByLabel('Base URL').fill('http://127.0.0.1:11434/v1');
    await form.getByLabel(/Local model/).check();
    await form.getByRole('button', { name: 'Add provider' }).click();
    await form.locator('.form-success').waitFor({ timeout: TIMEOUT_MS });
    expect(await form.locator('.form-success').textContent()).toContain('Restart Fleetmind');
    const added = page.locator('.provider-card[data-provider="ollama"]');
    await added.waitFor();
    expect(await added.locator('[data-origin]').getAttribute('data-origin')).toBe('settings');
    expect(await added.locator('.badge-local').count()).toBe(1);
    await screenshot('settings-providers.png');

    await added.getByRole('button', { name: 'Remove' }).click();
    await added.getByRole('group').getByRole('button', { name: 'Remove' }).click();
    await added.waitFor({ state: 'detached', timeout: TIMEOUT_MS });
  });

  it('usage lists the model calls per day and per model with totals and the budget', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    const calls = page.locator('[data-stat="calls"]');
    await calls.waitFor();
    // Two requests, each a tool call plus an answer, and two continuations.
    expect(Number(await calls.textContent())).toBeGreaterThanOrEqual(4);
    const today = new Date().toISOString().slice(0, 10);
    const dayRow = page.locator(`table tbody tr[data-key="${today}"]`);
    await dayRow.waitFor();
    expect(Number(await dayRow.locator('[data-column="calls"]').textContent())).toBeGreaterThanOrEqual(4);

    await page.getByRole('radio', { name: 'Model' }).click();
    const modelRow = page.locator('table tbody tr[data-key="local/gpt-4o-mini"]');
    await modelRow.waitFor({ timeout: TIMEOUT_MS });
    expect(Number(await modelRow.locator('[data-column="calls"]').textContent())).toBeGreaterThanOrEqual(4);
    await page.getByText('Today (remote models)').waitFor();
    await screenshot('usage.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('usage-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(consoleErrors).toEqual([]);
  });

  it('shows a budget warning and an exceeded cap loudly, on the usage page and over the chat', async () => {
    const report = (state: 'warning' | 'exceeded', message: string) => ({
      by: 'day',
      rows: [{ key: '2026-01-02', calls: 40, promptTokens: 120_000, completionTokens: 9000, cachedTokens: 20_000, costUsd: 4.2 }],
      totals: { calls: 40, promptTokens: 120_000, completionTokens: 9000, cachedTokens: 20_000, costUsd: 4.2 },
      budget: { state, dailySpentUsd: state === 'exceeded' ? 5.01 : 4.2, monthlySpentUsd: 31.5, dailyLimitUsd: 5, monthlyLimitUsd: 100, message },
    });
    // The scripted model is local and free, so the spend is simulated at the HTTP boundary.
    let current = report('warning', 'daily spend is $4.2000 of the $5.00 budget (84%)');
    await page.route('**/api/usage*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(current) }));
    try {
      await page.getByRole('radio', { name: 'Day' }).click();
      const banner = page.locator('.page [data-budget-state="warning"]');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('84%');
      await page.locator('.header-tab .tab-dot-warning').waitFor();
      await screenshot('usage-budget-warning.png');

      current = report('exceeded', 'daily budget of $5.00 reached ($5.0100 spent): remote models are blocked; local models and the offline engine still answer');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator('.page [data-budget-state="exceeded"][role="alert"]').waitFor();
      await page.getByRole('link', { name: /Chat/ }).click();
      const overChat = page.locator('.budget-banner-compact[data-budget-state="exceeded"]');
      await overChat.waitFor();
      expect(await overChat.textContent()).toContain('remote models are blocked');
      await screenshot('chat-budget-exceeded.png');
    } finally {
      await page.unroute('**/api/usage*');
    }
  });

  it('hides the operator pages and the dialog from a session without the token', async () => {
    await context.clearCookies();
    // A fresh document: only the hash would differ otherwise, and the page would not reload.
    await page.goto('about:blank');
    await page.goto(`${server.url}/#/settings`);
    await page.getByRole('heading', { name: 'Ask about your servers' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Pages' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Model providers' }).count()).toBe(0);
    expect(await replies().count()).toBe(0);
  });
});
