import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SilenceList } from '../../src/shared/protocol';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';

/**
 * The alerts page against alert text crafted by whoever holds an alerts:write token: bidi
 * overrides and zero-width characters are shown as marked escapes (the page must not read
 * differently from the data), and "Silence 2 h" on a host-less alert named like one of
 * Fleetmind's own does not silence that name on every host.
 */
const TIMEOUT_MS = 20_000;

let server: RunningServer;
let page: Page;
let browser: Browser;

beforeAll(async () => {
  server = await startBuiltServer({ env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '', FLEETMIND_MODEL: '' } });
  browser = await launchBrowser();
  ({ page } = browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('alerts page under hostile alert text', () => {
  it('shows bidi and invisible characters as escapes, and silences a host-less alert only where there is no host', async () => {
    const RLO = '\u202e';
    const payload = {
      version: '4',
      groupKey: '{}:{alertname="DiskAlmostFull"}',
      status: 'firing',
      receiver: 'fleetmind',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example',
      alerts: [
        {
          status: 'firing',
          // no host, no instance: named like Fleetmind's own threshold alert
          labels: { alertname: 'DiskAlmostFull', severity: 'critical', note: `safe${RLO}txt.exe` },
          annotations: { summary: `all fine${RLO}enif lla\u200b`, description: `line one\n${RLO}line two` },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'e2eattack0000001',
        },
      ],
    };
    const posted = await fetch(`${server.url}/api/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: JSON.stringify(payload) });
    expect(posted.status).toBe(200);

    await page.goto(server.uiUrl);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.waitFor({ timeout: TIMEOUT_MS });
    await nav.getByRole('link', { name: /Alerts/ }).click();
    const row = page.locator('li.alert-item').first();
    await row.waitFor({ timeout: TIMEOUT_MS });
    const summary = (await row.locator('.alert-text').textContent()) ?? '';
    expect(summary).not.toContain(RLO);
    expect(summary).not.toContain('\u200b');
    expect(summary).toContain('\\u202e');
    expect(await row.locator('.alert-text .control-char').count()).toBe(2);
    await row.locator('button.alert-summary').click();
    const details = row.locator('.alert-details');
    await details.waitFor({ timeout: TIMEOUT_MS });
    const detailsText = (await details.textContent()) ?? '';
    expect(detailsText).not.toContain(RLO);
    expect(detailsText).toContain('safe\\u202etxt.exe');

    await row.getByRole('button', { name: 'Silence 2 h' }).click();
    await row.locator('.alert-state', { hasText: 'silenced' }).waitFor({ timeout: TIMEOUT_MS });
    const silences = (await (await fetch(`${server.url}/api/alerts/silences`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as SilenceList;
    expect(silences.silences).toHaveLength(1);
    expect(silences.silences[0]!.matchers).toEqual([
      { name: 'alertname', value: 'DiskAlmostFull', isRegex: false },
      { name: 'host', value: '', isRegex: false },
      { name: 'instance', value: '', isRegex: false },
    ]);
    // the same name on a host is not silenced by it
    const onHost = await fetch(`${server.url}/api/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ ...payload, alerts: [{ ...payload.alerts[0], fingerprint: 'e2eattack0000002', labels: { alertname: 'DiskAlmostFull', instance: 'localhost:9100' } }] }),
    });
    expect(await onHost.json()).toMatchObject({ created: 1, silenced: 0 });
  });
});
