import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertList } from '../../src/shared/protocol';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';

/**
 * The alerts page end to end: an Alertmanager payload posted to the built server, the badge
 * with the firing count on the Alerts tab, the offline interpretation, acknowledging from the
 * UI; hostile markup in an annotation stays text. (Desktop notifications are Electron's and
 * are not exercised here: no notification daemon.)
 */
const TIMEOUT_MS = 20_000;

let server: RunningServer;
let page: Page;
let browser: Browser;
let consoleErrors: string[] = [];

const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><b>bold</b>';

beforeAll(async () => {
  server = await startBuiltServer({ env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '' } });
  browser = await launchBrowser();
  ({ page, consoleErrors } = browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('alerts page', () => {
  it('shows the firing count, the interpretation, and acknowledges', async () => {
    const payload = {
      version: '4',
      groupKey: '{}:{alertname="DiskAlmostFull"}',
      status: 'firing',
      receiver: 'fleetmind',
      groupLabels: { alertname: 'DiskAlmostFull' },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'DiskAlmostFull', instance: 'localhost:9100', severity: 'critical', mountpoint: '/' },
          annotations: { summary: 'root file system 93 % full', description: HOSTILE },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'e2e0000000000001',
        },
      ],
    };
    const posted = await fetch(`${server.url}/api/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: JSON.stringify(payload) });
    expect(posted.status).toBe(200);
    // wait (bounded) for the interpretation, so the page shows it on first load
    for (let i = 0; i < 120; i++) {
      const list = (await (await fetch(`${server.url}/api/alerts`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as AlertList;
      if (list.alerts[0]?.interpretation?.status === 'done') break;
      await new Promise((r) => setTimeout(r, 250));
    }

    await page.goto(server.uiUrl);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.waitFor({ timeout: TIMEOUT_MS });
    const badge = page.getByTestId('alerts-badge');
    await badge.waitFor({ timeout: TIMEOUT_MS });
    expect((await badge.textContent())?.trim()).toMatch(/^1/);

    await nav.getByRole('link', { name: /Alerts/ }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    const row = page.locator('li.alert-item').first();
    await row.waitFor({ timeout: TIMEOUT_MS });
    expect(await row.locator('.alert-name').textContent()).toBe('DiskAlmostFull');
    expect(await row.locator('.alert-severity').textContent()).toBe('critical');
    await row.locator('button.alert-summary').click();
    const interpretation = row.locator('.alert-interpretation-text');
    await interpretation.waitFor({ timeout: TIMEOUT_MS });
    expect(await interpretation.textContent()).toMatch(/^Likely cause: a file system is filling up on localhost/);
    // the annotation's markup is shown as text, never parsed
    expect(await row.getByText(HOSTILE, { exact: true }).count()).toBe(1);
    expect(await row.locator('img').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');

    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await row.locator('.alert-state', { hasText: 'acknowledged' }).waitFor({ timeout: TIMEOUT_MS });
    await badge.waitFor({ state: 'detached', timeout: TIMEOUT_MS });
    const list = (await (await fetch(`${server.url}/api/alerts`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as AlertList;
    expect(list.alerts[0]).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'api:operator:session' });
    await browser.screenshot('alerts-page.png');
    expect(consoleErrors).toEqual([]);
  });
});
