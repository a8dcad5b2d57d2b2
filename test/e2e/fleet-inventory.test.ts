// The Fleet view's inventory forms end to end (issue 17 leftovers): in Debian's Chromium
// against the BUILT server, the operator adds a host through the form, imports an
// ssh_config, and confirms the host key of a real sshd fixture host; each step is checked
// in the server's state through the API afterwards, not only on screen. A key that changes
// between the scan shown and the click on Trust is refused (the server checks again), and a
// malformed form is refused with the server's message and nothing stored.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyScanSchema, HostListSchema } from '../../src/shared/protocol';
import { startSshdHosts, type SshdFleet } from '../fixtures/sshd-hosts/index';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';
import { until } from '../helpers/poll';

const TIMEOUT_MS = 30_000;
const ADDED = 'fm-ui-added';
const IMPORTED = 'fm-ui-imported';
const ROTATING = 'fm-ui-rotating';

let fx: SshdFleet;
let server: RunningServer;
let browser: Browser;
let page: Page;
const root = mkdtempSync(join(tmpdir(), 'fm-ui-inventory-'));
const api = async (path: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${server.token}` } });
  return { status: res.status, body: (await res.json()) as unknown };
};
const hostsNow = async () => HostListSchema.parse((await api('/api/hosts')).body).hosts;
const hostKey = async (name: string) => HostKeyScanSchema.parse((await api(`/api/hosts/${name}/hostkey`)).body);

beforeAll(async () => {
  fx = await startSshdHosts({ count: 3, names: [ADDED, IMPORTED, ROTATING] });
  // An empty ~/.ssh: no host key is known until the operator confirms one.
  const home = join(root, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  // Metrics off: no collector connects to the hosts on its own while keys are being decided.
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'config.yaml'), ['metrics:', '  enabled: false', ''].join('\n'));
  server = await startBuiltServer({ dataDir, env: { HOME: home, SSH_AUTH_SOCK: '' } });
  browser = await launchBrowser();
  page = browser.page;
  await page.goto(server.uiUrl);
  await page.getByRole('navigation', { name: 'Pages' }).waitFor({ timeout: TIMEOUT_MS });
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Fleet' }).click();
  await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor({ timeout: TIMEOUT_MS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await fx?.stopAll();
  rmSync(root, { recursive: true, force: true });
});

describe('fleet inventory forms', () => {
  it('adds a host through the form: the server stores exactly what was typed; a bad port is refused and nothing stored', async () => {
    const h = fx.host(ADDED);
    await page.getByRole('button', { name: 'Add host' }).click();
    const form = page.getByRole('form', { name: 'Add a host' });
    await form.getByLabel('Name').fill(ADDED);
    await form.getByLabel('Address').fill(h.address);
    await form.getByLabel('Port').fill('70000');
    await form.getByLabel('User').fill(h.user);
    await form.getByLabel('Tags').fill('e2e, web');
    await form.getByRole('button', { name: 'Add host' }).click();
    // The server's validation, shown; nothing stored.
    await form.getByText('Host not added').waitFor({ timeout: TIMEOUT_MS });
    expect((await hostsNow()).some((x) => x.name === ADDED)).toBe(false);

    await form.getByLabel('Port').fill(String(h.port));
    await form.getByRole('button', { name: 'Add host' }).click();
    await page.locator(`tr.host-row[data-host="${ADDED}"]`).waitFor({ timeout: TIMEOUT_MS });
    expect((await hostsNow()).find((x) => x.name === ADDED)).toMatchObject({ address: h.address, port: h.port, user: h.user, tags: ['e2e', 'web'], transport: 'ssh' });
    expect(await page.getByRole('form', { name: 'Add a host' }).count()).toBe(0);
  });

  it('imports an ssh_config pasted into the form: the host block becomes an inventory host', async () => {
    const h = fx.host(IMPORTED);
    await page.getByRole('button', { name: 'Import' }).first().click();
    const form = page.getByRole('form', { name: 'Import hosts' });
    await form.getByRole('radio', { name: 'ssh_config' }).click();
    await form.getByLabel('ssh_config text').fill([`Host ${IMPORTED}`, `  HostName ${h.address}`, `  Port ${h.port}`, `  User ${h.user}`, ''].join('\n'));
    await form.getByRole('button', { name: 'Import' }).click();
    await expect.poll(async () => form.getByRole('status').textContent(), { timeout: TIMEOUT_MS }).toMatch(/Added 1, updated 0\./);
    expect((await hostsNow()).find((x) => x.name === IMPORTED)).toMatchObject({ address: h.address, port: h.port, user: h.user, transport: 'ssh' });
    await page.locator(`tr.host-row[data-host="${IMPORTED}"]`).waitFor({ timeout: TIMEOUT_MS });
    await form.getByRole('button', { name: 'Close' }).click();
  });

  it("trusts a real sshd host's key after showing it: the server then knows exactly that fingerprint", async () => {
    const h = fx.host(ADDED);
    expect((await hostKey(ADDED)).status).toBe('unknown');
    await page.getByRole('button', { name: `Trust key of ${ADDED}` }).click();
    const panel = page.getByRole('group', { name: `Host key of ${ADDED}` });
    await panel.locator('.host-key-fingerprint').waitFor({ timeout: TIMEOUT_MS });
    expect(await panel.locator('.host-key-fingerprint').textContent()).toContain(h.hostKeyFingerprint);
    expect(await panel.locator('.host-key-status').getAttribute('data-status')).toBe('unknown');
    await panel.getByRole('button', { name: 'Trust this key' }).click();
    await panel.getByText(`Trusted ${h.hostKeyFingerprint}.`).waitFor({ timeout: TIMEOUT_MS });
    const after = await hostKey(ADDED);
    expect(after).toMatchObject({ host: ADDED, status: 'trusted', fingerprint: h.hostKeyFingerprint });
    // The imported host was not trusted along with it.
    expect((await hostKey(IMPORTED)).status).toBe('unknown');
    await panel.getByRole('button', { name: 'Close' }).click();
  });

  it('refuses to trust a key that changed after it was shown (the server scans again): nothing is recorded', async () => {
    const h = fx.host(ROTATING);
    const added = await fetch(`${server.url}/api/hosts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ name: ROTATING, address: h.address, port: h.port, user: h.user }),
    });
    expect(added.status).toBe(201);
    await page.getByRole('button', { name: 'Refresh' }).first().click();
    await page.getByRole('button', { name: `Trust key of ${ROTATING}` }).click();
    const panel = page.getByRole('group', { name: `Host key of ${ROTATING}` });
    await panel.locator('.host-key-fingerprint').waitFor({ timeout: TIMEOUT_MS });
    const shown = h.hostKeyFingerprint;
    expect(await panel.locator('.host-key-fingerprint').textContent()).toContain(shown);
    // Someone swaps the host's key between the look and the click.
    const rotated = await fx.rotateHostKey(ROTATING);
    expect(fx.host(ROTATING).hostKeyFingerprint).not.toBe(shown);
    await panel.getByRole('button', { name: 'Trust this key' }).click();
    await panel.getByText('Host key not confirmed').waitFor({ timeout: TIMEOUT_MS });
    const now = await until('the rotated key scanned', async () => {
      const k = await hostKey(ROTATING);
      return k.fingerprint !== shown ? k : null;
    });
    expect(now.status).toBe('unknown');
    expect(now.expected).toEqual([]);
    expect(rotated).toBeTruthy();
    expect(browser.consoleErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
  });
});
