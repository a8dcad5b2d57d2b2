import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalDecisionResponseSchema, ExecResultLineSchema, RememberedRuleListSchema } from '../../src/shared/protocol';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';

/**
 * The Rules page end to end: an approval remembered for a host over the HTTP API (as the
 * dialog, the CLI or the API would), listed in the built server's UI in Debian's Chromium,
 * revoked there with a confirmation, and gone from `GET /api/approvals/rules`.
 */
const TIMEOUT_MS = 20_000;

let server: RunningServer;
let page: Page;
let browser: Browser;
let consoleErrors: string[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'fm-ui-rules-'));

const json = { 'Content-Type': 'application/json' };
const auth = () => ({ Authorization: `Bearer ${server.token}` });
const screenshot = (name: string) => browser.screenshot(name);

async function apiRules() {
  const res = await fetch(`${server.url}/api/approvals/rules`, { headers: auth() });
  expect(res.status).toBe(200);
  return RememberedRuleListSchema.parse(await res.json()).rules;
}

/** Queues `command` on localhost with POST /api/exec, then approves it remembering the host; returns the approval id. */
async function rememberForHost(command: string): Promise<string> {
  const exec = await fetch(`${server.url}/api/exec`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify({ hosts: 'localhost', command }) });
  expect(exec.status).toBe(200);
  const line = ExecResultLineSchema.parse(((await exec.json()) as { results: unknown[] }).results[0]);
  expect(line.error, JSON.stringify(line)).toMatchObject({ code: 'approval_required' });
  const approvalId = (line.error as { approvalId: string }).approvalId;
  const decided = await fetch(`${server.url}/api/approvals/${approvalId}`, {
    method: 'POST',
    headers: { ...json, ...auth() },
    body: JSON.stringify({ decision: 'approve', remember: 'host' }),
  });
  const body = await decided.json();
  expect(decided.status, JSON.stringify(body)).toBe(200);
  expect(ApprovalDecisionResponseSchema.parse(body).remembered).toEqual([expect.objectContaining({ scope: 'host', target: 'localhost' })]);
  return approvalId;
}

beforeAll(async () => {
  server = await startBuiltServer();
  browser = await launchBrowser();
  ({ page, consoleErrors } = browser);
  await page.goto(server.uiUrl);
  await page.getByRole('navigation', { name: 'Pages' }).waitFor({ timeout: TIMEOUT_MS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('remembered approval rules page', () => {
  it('lists a rule remembered for a host with its scope, creator, policy version and approval; revoking asks first, then removes it', async () => {
    const marker = join(scratch, 'remembered-marker');
    const command = `touch ${marker}`;
    const approvalId = await rememberForHost(command);
    expect(existsSync(marker)).toBe(true);
    const [rule] = await apiRules();
    expect(rule).toMatchObject({ command, scope: 'host', target: 'localhost', approvalId });

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('heading', { name: 'Remembered approval rules' }).waitFor();
    expect(await page.getByRole('link', { name: 'Rules' }).getAttribute('aria-current')).toBe('page');
    const row = page.locator(`tr.rule-row[data-rule-id="${rule!.id}"]`);
    await row.waitFor({ timeout: TIMEOUT_MS });
    expect(await row.locator('.rule-command code').textContent()).toBe(command);
    expect(await row.getAttribute('data-scope')).toBe('host');
    expect(await row.locator('.rule-target').textContent()).toBe('localhost');
    expect(await row.locator('.rule-created-by').textContent()).toBe(rule!.createdBy);
    expect(await row.locator('.rule-created time').getAttribute('datetime')).toBe(rule!.createdAt);
    expect(await row.locator('.rule-policy code').textContent()).toBe(rule!.policyVersion);
    expect(await row.locator('.rule-approval code').getAttribute('title')).toBe(approvalId);
    await screenshot('rules.png');

    // Revoke asks first; Cancel leaves the rule alone.
    await row.getByRole('button', { name: 'Revoke' }).click();
    const confirm = row.getByRole('group', { name: /Revoke the rule for host localhost/ });
    await confirm.waitFor();
    await screenshot('rules-confirm.png');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await apiRules()).toHaveLength(1);

    await row.getByRole('button', { name: 'Revoke' }).click();
    // The confirmation's Revoke has the focus: Enter confirms.
    await confirm.getByRole('button', { name: 'Revoke' }).waitFor();
    expect(await page.evaluate("document.activeElement?.textContent?.trim()")).toBe('Revoke');
    await page.keyboard.press('Enter');
    await row.waitFor({ state: 'detached', timeout: TIMEOUT_MS });
    expect(await page.locator('.rules-status').textContent()).toContain(`Revoked: ${command}`);
    await page.getByText('No remembered approvals.').waitFor();
    expect(await apiRules()).toEqual([]);
    await screenshot('rules-revoked.png');
    expect(consoleErrors).toEqual([]);
  });

  it('shows control and direction-changing characters in a command as visible escapes', async () => {
    const hostile = {
      id: 'rule-hostile-1',
      command: 'systemctl restart nginx\u202e\u001b[2J',
      scope: 'tag',
      target: 'web',
      approvalId: null,
      createdBy: 'cli',
      createdAt: new Date().toISOString(),
      policyVersion: null,
      verdict: null,
    };
    // Such a command is never remembered by the real server; the listing is simulated at the HTTP boundary.
    await page.route('**/api/approvals/rules', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ rules: [hostile] }) }));
    try {
      await page.getByRole('button', { name: 'Refresh' }).click();
      const row = page.locator('tr.rule-row[data-rule-id="rule-hostile-1"]');
      await row.waitFor({ timeout: TIMEOUT_MS });
      expect(await row.locator('.control-char').evaluateAll((els) => els.map((el) => el.getAttribute('data-code-point')))).toEqual(['202e', '1b']);
      const shown = (await row.locator('.rule-command code').textContent()) ?? '';
      expect(shown).not.toMatch(/[\u202e\u001b]/);
      expect(shown).toContain('systemctl restart nginx');
      expect(await row.locator('.rule-policy').textContent()).toBe('not recorded');
      expect(await row.getAttribute('data-scope')).toBe('tag');
    } finally {
      await page.unroute('**/api/approvals/rules');
    }
  });
});
