import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';

/**
 * The audit view end to end: the built server answering "Show server status" with the
 * offline engine (which audits the request, the policy decisions, the tool call and the
 * executions), Debian's Chromium reading the log, then the chain tampered with behind
 * the server's back, as an attacker with the database file would, and the view saying so.
 */
const TIMEOUT_MS = 20_000;

let server: RunningServer;
let context: BrowserContext;
let page: Page;
let browser: Browser;
let consoleErrors: string[] = [];

const banner = () => page.locator('.chain-banner');
const rows = () => page.locator('table.audit-table tr.audit-row');
const shownSeqs = () => rows().evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))));
const shownKinds = () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind')));
/** The seq of the table row holding the focused element (a string expression: these tests compile without the DOM lib). */
const focusedSeq = () => page.evaluate<string | null>("(() => { const tr = document.activeElement && document.activeElement.closest('tr'); return tr ? tr.getAttribute('data-seq') : null; })()");

const screenshot = (name: string) => browser.screenshot(name);

/** What the server itself says about the log (the UI must agree with it). */
async function apiAudit(query = ''): Promise<{ entries: { seq: number; kind: string; actor: string }[]; verify: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/audit${query}`, { headers: { Authorization: `Bearer ${server.token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as { entries: { seq: number; kind: string; actor: string }[]; verify: Record<string, unknown> };
}

beforeAll(async () => {
  server = await startBuiltServer();
  browser = await launchBrowser();
  ({ context, page, consoleErrors } = browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('audit view', () => {
  it('lists the request, decisions, tool call and executions of "Show server status" under an intact chain', async () => {
    await page.goto(server.uiUrl);
    const composer = page.getByLabel('Message', { exact: true });
    await composer.fill('Show server status');
    await composer.press('Enter');
    const reply = page.locator('article[data-role="assistant"][data-status="complete"]').first();
    await reply.waitFor({ timeout: TIMEOUT_MS });
    expect(await reply.locator('[data-tool="server_status"]').getAttribute('data-status')).toBe('ok');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    expect(await page.getByRole('link', { name: 'Audit' }).getAttribute('aria-current')).toBe('page');

    await banner().waitFor();
    expect(await banner().getAttribute('data-chain')).toBe('intact');
    expect(await banner().getAttribute('role')).toBe('status');
    const text = (await banner().locator('.chain-headline').textContent()) ?? '';
    const api = await apiAudit();
    expect(api.verify).toMatchObject({ ok: true });
    const { rows: total, checkpoints, uncheckpointedRows } = api.verify as { rows: number; checkpoints: number; uncheckpointedRows: number };
    expect(text).toMatch(/^Chain intact: \d+ rows?, \d+ signed checkpoints? \(.+\)$/);
    expect(text).toContain(`${total} rows`);
    expect(text).toContain(`${checkpoints} signed checkpoint`);
    if (uncheckpointedRows > 1) expect(text).toContain(`(${uncheckpointedRows} newest rows not yet checkpointed)`);

    // Newest first, one table row per entry, of every kind the turn produced.
    await rows().first().waitFor();
    const seqs = await rows().evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))));
    expect(seqs).toEqual(api.entries.map((e) => e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    for (const kind of ['request', 'tool_call', 'decision', 'execution']) {
      expect(await rows().and(page.locator(`[data-kind="${kind}"]`)).count(), `rows of kind ${kind}`).toBeGreaterThan(0);
    }
    // Summaries say what happened: a read-only command allowed, a command that exited 0, a tool call that worked.
    expect(await page.locator('tr.audit-row[data-kind="decision"] .audit-summary').first().textContent()).toMatch(/^allow · read_only$/);
    // (Not every probe exits 0: `systemctl list-units --state=failed` may exit 1, and is shown as such.)
    const exits = await page.locator('tr.audit-row[data-kind="execution"] .audit-summary').allTextContents();
    expect(exits.every((t) => /^exit \d+ · [\d.]+ (ms|s)$/.test(t))).toBe(true);
    expect(exits).toContainEqual(expect.stringMatching(/^exit 0 · /));
    expect(await page.locator('tr.audit-row[data-kind="tool_call"] .audit-subject').first().textContent()).toBe('server_status');
    expect(await page.locator('tr.audit-row[data-kind="tool_call"] .audit-summary').first().textContent()).toMatch(/^ok · /);
    await screenshot('audit-intact.png');
  });

  it('expands an entry with Enter (keyboard) and with a click, showing its full data as text', async () => {
    const execution = page.locator('tr.audit-row[data-kind="execution"]').first();
    const seq = await execution.getAttribute('data-seq');
    const toggle = execution.locator('button.audit-toggle');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const detail = page.locator(`tr.audit-detail[data-detail-for="${seq}"]`);
    await detail.waitFor();
    expect(await toggle.getAttribute('aria-controls')).toBe(await detail.getAttribute('id'));
    const json = JSON.parse((await detail.locator('pre.audit-json').textContent()) ?? '') as Record<string, unknown>;
    expect(typeof json.exitCode).toBe('number');
    expect(json.stdoutSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await detail.textContent()).toContain('Previous hash');

    // Arrow keys walk the rows' toggles (no fifty Tab presses through a page).
    const seqs = await shownSeqs();
    const index = seqs.indexOf(Number(seq));
    await page.keyboard.press('ArrowDown');
    expect(await focusedSeq()).toBe(String(seqs[index + 1]));
    await page.keyboard.press('ArrowUp');
    expect(await focusedSeq()).toBe(seq);
    await page.keyboard.press('End');
    expect(await focusedSeq()).toBe(String(seqs.at(-1)));

    // A click anywhere on a row opens it (here the decision row's summary cell).
    const decision = page.locator('tr.audit-row[data-kind="decision"]').first();
    await decision.locator('.audit-summary').click();
    expect(await decision.locator('button.audit-toggle').getAttribute('aria-expanded')).toBe('true');
    const decisionJson = JSON.parse((await page.locator(`tr.audit-detail[data-detail-for="${await decision.getAttribute('data-seq')}"] pre.audit-json`).textContent()) ?? '');
    expect(decisionJson).toMatchObject({ decision: 'allow', category: 'read_only' });
    // The page scrolls inside its own box; back to its top for a picture with the banner.
    await page.evaluate("document.querySelector('main.page').scrollTop = 0");
    await screenshot('audit-expanded.png');

    // Enter again folds it.
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await detail.count()).toBe(0);
  });

  it('filters by kind', async () => {
    const select = page.getByLabel('Kind');
    await select.selectOption('execution');
    await expect.poll(async () => new Set(await shownKinds())).toEqual(new Set(['execution']));
    expect(await shownSeqs()).toEqual((await apiAudit('?kind=execution')).entries.map((e) => e.seq));
    await page.getByRole('heading', { name: 'Entries: execution' }).waitFor();
    await select.selectOption('');
    await expect.poll(async () => new Set(await shownKinds()).size).toBeGreaterThan(1);
  });

  it('pages back with "Load older" once the log is longer than a page', async () => {
    // More turns, through the API for speed, push the log past one page (50 entries).
    // Different tools each time: a tool's result is reused for a moment, and a reused one runs (and audits) nothing.
    const messages = ['Disk usage', 'memory usage', 'top processes', 'network info', 'failed services', 'Show server status'];
    for (let turn = 0; (await apiAudit('?limit=1000')).entries.length <= 60; turn++) {
      expect(turn, 'turns needed to fill more than a page').toBeLessThan(30);
      const response = await fetch(`${server.url}/api/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ message: messages[turn % messages.length] }),
      });
      expect(response.status).toBe(200);
    }
    const all = (await apiAudit('?limit=1000')).entries.map((e) => e.seq);

    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(shownSeqs).toEqual(all.slice(0, 50));
    const older = page.getByRole('button', { name: 'Load older' });
    await older.focus();
    await page.keyboard.press('Enter');
    await expect.poll(shownSeqs).toEqual(all);
    // The button went away with the last page; focus moved to the first row it added, not to the page's top.
    expect(await older.count()).toBe(0);
    expect(await focusedSeq()).toBe(String(all[50]));
    await page.getByText('No older entries.').waitFor();
    expect(await banner().getAttribute('data-chain')).toBe('intact');
  });

  it('turns red naming the row when the database is tampered with behind the server’s back, and shows that row', async () => {
    // One of the first turn's policy decisions: by now far below the first page, as a tampered row usually is.
    const victim = (await apiAudit('?kind=decision&limit=1000')).entries.at(-1)!;
    expect((await apiAudit('?limit=50')).entries.some((e) => e.seq === victim.seq), 'victim is not on the first page').toBe(false);
    const db = new Database(join(server.dataDir, 'fleetmind.db'));
    try {
      db.pragma('busy_timeout = 5000');
      // The schema refuses UPDATE on the log; someone with the file can drop that guard first.
      const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'").all() as { name: string }[];
      expect(triggers.length).toBeGreaterThan(0);
      expect(() => db.prepare('UPDATE audit_log SET actor = ? WHERE seq = ?').run('mallory', victim.seq)).toThrow(/append-only/);
      for (const { name } of triggers) db.exec(`DROP TRIGGER "${name.replaceAll('"', '""')}"`);
      expect(db.prepare('UPDATE audit_log SET actor = ? WHERE seq = ?').run('mallory', victim.seq).changes).toBe(1);
    } finally {
      db.close();
    }
    const expected = `Tampering detected at row ${victim.seq}: row ${victim.seq} was altered: its content no longer matches its hash`;

    // Reloading the tab (a fresh visit) verifies the chain again.
    await page.reload();
    await page.locator('.chain-banner[data-chain="broken"]').waitFor({ timeout: TIMEOUT_MS });
    expect(await banner().getAttribute('role')).toBe('alert');
    expect(await banner().getAttribute('data-broken-at')).toBe(String(victim.seq));
    expect(await banner().locator('.chain-headline').textContent()).toBe(expected);
    await screenshot('audit-tampered.png');

    // The banner leads to the row: the table jumps there, marks it and focuses it.
    await banner().getByRole('button', { name: `Show row ${victim.seq}` }).click();
    const row = page.locator(`tr.audit-row[data-seq="${victim.seq}"]`);
    await row.waitFor();
    await expect.poll(focusedSeq).toBe(String(victim.seq));
    expect(await row.getAttribute('class')).toContain('audit-row-broken');
    expect(await row.locator('.audit-actor').textContent()).toBe('mallory');
    expect(await row.locator('button.audit-toggle').getAttribute('aria-label')).toContain('chain broken here');
    expect(await page.locator('tr.audit-row-broken').count()).toBe(1);
    expect((await shownSeqs())[0]).toBe(victim.seq + 5);
    await page.getByText(`Showing the log from around row ${victim.seq}`).waitFor();
    await page.keyboard.press('Enter');
    await page.locator(`tr.audit-detail[data-detail-for="${victim.seq}"]`).waitFor();
    await screenshot('audit-tampered-row.png');

    // The Refresh button verifies again too, and goes back to the newest entries.
    await page.getByRole('button', { name: 'Back to the newest' }).click();
    await expect.poll(async () => (await shownSeqs())[0]).toBe((await apiAudit()).entries[0]!.seq);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('.chain-banner[data-chain="broken"]').waitFor();
    expect(await banner().locator('.chain-headline').textContent()).toBe(expected);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('audit-tampered-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(consoleErrors).toEqual([]);
  });

  it('is not offered to a session without the operator token', async () => {
    await context.clearCookies();
    // From a blank page, so the visit is a real load and not a same-document hash change.
    await page.goto('about:blank');
    await page.goto(`${server.url}/#/audit`);
    await page.getByRole('heading', { name: 'Ask about your servers' }).waitFor();
    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    expect(await page.locator('.chain-banner').count()).toBe(0);
    expect((await fetch(`${server.url}/api/audit`)).status).toBe(401);
  });
});
