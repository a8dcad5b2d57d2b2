// The Fleet view end to end (issue 17, items 5 and 6): the built server collects metrics
// from the local machine every second and fails to reach a host on a closed port; the
// UI in Debian's Chromium lists both (the dead one marked unreachable), and a host's
// uPlot charts hold exactly the points /api/metrics/query returns for the same window —
// the data drawn is compared, not just the presence of a canvas.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricStore } from '../../src/main/core/metrics';
import { Store } from '../../src/main/core/store';
import { CollectorStatusListSchema, MetricQueryResponseSchema } from '../../src/shared/protocol';
import { launchBrowser, type Browser } from '../helpers/browser';
import { startBuiltServer, type RunningServer } from '../helpers/built-server';

const TIMEOUT_MS = 30_000;
const DEAD = 'fm-e2e-down';

interface Plotted {
  host: string;
  since: number;
  until: number;
  stepMs: number | null;
  lines: { metric: string; labels: Record<string, string>; points: [number, number][] }[];
}

let server: RunningServer;
let browser: Browser;
let page: Page;
const root = mkdtempSync(join(tmpdir(), 'fm-ui-fleet-'));
const auth = () => ({ Authorization: `Bearer ${server.token}` });

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const address = probe.address();
  await new Promise((r) => probe.close(r));
  return typeof address === 'object' && address ? address.port : 1;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What the API answers for the window a chart drew. */
async function apiPoints(plot: Plotted, line: Plotted['lines'][number]): Promise<[number, number][]> {
  const params = new URLSearchParams({ host: plot.host, metric: line.metric, since: new Date(plot.since).toISOString(), until: new Date(plot.until).toISOString() });
  if (plot.stepMs !== null) params.set('step', `${plot.stepMs / 1000}s`);
  for (const [k, v] of Object.entries(line.labels)) params.append(k, v);
  const res = await fetch(`${server.url}/api/metrics/query?${params}`, { headers: auth() });
  expect(res.status).toBe(200);
  return MetricQueryResponseSchema.parse(await res.json()).points;
}

/** The chart's drawn data once it is of the range asked for (its step tells 1 h from 24 h). */
async function plotOf(chart: string, stepMs: number | null): Promise<Plotted> {
  const figure = page.locator(`.host-detail figure.metric-chart[data-chart="${chart}"]`);
  await figure.waitFor({ timeout: TIMEOUT_MS });
  const raw = await until(`${chart} chart data (step ${stepMs})`, async () => {
    const text = await figure.getAttribute('data-plot');
    return text && (JSON.parse(text) as Plotted).stepMs === stepMs ? text : null;
  });
  return JSON.parse(raw) as Plotted;
}

/**
 * Compares every line of a chart with the API. A sample taken just before the window's
 * end can be stored just after the UI asked; then Refresh draws again (bounded) until the
 * window is settled on both sides.
 */
async function expectChartMatchesApi(chart: string, stepMs: number | null = null, attempts = 4): Promise<Plotted> {
  let mismatch = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const plot = await plotOf(chart, stepMs);
    mismatch = '';
    for (const line of plot.lines) {
      const expected = await apiPoints(plot, line);
      if (JSON.stringify(expected) !== JSON.stringify(line.points)) mismatch = `${line.metric} ${JSON.stringify(line.labels)}: drawn ${line.points.length} points, API ${expected.length}`;
    }
    if (!mismatch) return plot;
    const before = await page.locator(`figure.metric-chart[data-chart="${chart}"]`).getAttribute('data-plot');
    await page.locator('.host-detail').getByRole('button', { name: 'Refresh' }).click();
    await until('charts redrawn', async () => (await page.locator(`figure.metric-chart[data-chart="${chart}"]`).getAttribute('data-plot')) !== before);
  }
  throw new Error(`the ${chart} chart does not hold the API's points: ${mismatch}`);
}

interface DrawnAnomalies {
  threshold: number;
  lines: { metric: string; labels: Record<string, string>; marks: { at: number; score: number; value: number | null; x: number; y: number | null }[] }[];
}

/** The dead host's past, stored before the server starts: load1 over the last hour and the detector's scores beside it. */
const SEEDED_END = Date.now() - 60_000;
const SEEDED_LOAD = Array.from({ length: 50 }, (_, i): [number, number] => [SEEDED_END - (49 - i) * 60_000, i === 30 || i === 40 ? 4 : 0.5]);
/** Two reports (0.9, 0.6) and a held-down score below the threshold (0.05) that must not be marked. */
const SEEDED_SCORES: [number, number][] = [
  [SEEDED_LOAD[30]![0], 0.9],
  [SEEDED_LOAD[31]![0], 0.05],
  [SEEDED_LOAD[40]![0], 0.6],
];

function seed(dataDir: string): void {
  const store = Store.open(dataDir);
  const metrics = new MetricStore(store.db);
  const raw = (points: [number, number][]) => ({ ts: Float64Array.from(points.map(([t]) => t)), values: Float64Array.from(points.map(([, v]) => v)) });
  metrics.importPoints({ host: DEAD, metric: 'load1', source: 'collector' }, 0, raw(SEEDED_LOAD));
  metrics.importPoints({ host: DEAD, metric: 'anomaly_score', labels: { metric_name: 'load1' }, unit: 'ratio', source: 'anomaly-detector' }, 0, raw(SEEDED_SCORES));
  store.close();
}

/** What the API answers for the window a chart drew, with the scores beside the line. */
async function apiAnomalies(plot: Plotted, line: Plotted['lines'][number]): Promise<{ points: [number, number][]; anomalies: [number, number][]; threshold: number }> {
  const params = new URLSearchParams({ host: plot.host, metric: line.metric, since: new Date(plot.since).toISOString(), until: new Date(plot.until).toISOString(), anomalies: '1' });
  if (plot.stepMs !== null) params.set('step', `${plot.stepMs / 1000}s`);
  for (const [k, v] of Object.entries(line.labels)) params.append(k, v);
  const res = await fetch(`${server.url}/api/metrics/query?${params}`, { headers: auth() });
  expect(res.status).toBe(200);
  const body = MetricQueryResponseSchema.parse(await res.json());
  return { points: body.points, anomalies: body.anomalies ?? [], threshold: body.anomalyThreshold ?? NaN };
}

/** The colour under a point of a chart's canvas (CSS px from its top left). */
async function pixelAt(chart: string, x: number, y: number): Promise<[number, number, number]> {
  return page.locator(`figure.metric-chart[data-chart="${chart}"] canvas`).evaluate(
    (element, [px, py]) => {
      // (the test compiles without DOM types: the canvas API it uses, spelled out)
      const canvas = element as unknown as { width: number; getBoundingClientRect(): { width: number }; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null };
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const d = canvas.getContext('2d')!.getImageData(Math.round(px * ratio), Math.round(py * ratio), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!] as [number, number, number];
    },
    [x, y] as const,
  );
}

/** Every drawn mark is a stored score at or above the threshold, on the line's value there, red on the canvas; and every such score is drawn. */
async function expectMarksMatchApi(chart: string, stepMs: number | null): Promise<DrawnAnomalies> {
  const plot = await plotOf(chart, stepMs);
  const figure = page.locator(`figure.metric-chart[data-chart="${chart}"]`);
  const drawn = JSON.parse((await until(`${chart} anomaly marks`, () => figure.getAttribute('data-anomalies')))) as DrawnAnomalies;
  for (const [i, line] of plot.lines.entries()) {
    const api = await apiAnomalies(plot, line);
    expect(drawn.threshold).toBe(api.threshold);
    const valueAt = new Map(api.points);
    const expected = api.anomalies.filter(([, s]) => s >= api.threshold).map(([at, score]) => ({ at, score, value: valueAt.get(at) ?? null }));
    const marks = drawn.lines[i]!.marks;
    expect(marks.map(({ at, score, value }) => ({ at, score, value })), `${line.metric} marks`).toEqual(expected);
    for (const m of marks) {
      if (m.y === null) continue;
      const [r, g, b] = await pixelAt(chart, m.x, m.y);
      expect(r, `red under the mark at ${m.at}`).toBeGreaterThan(180);
      expect(Math.max(g, b), `red under the mark at ${m.at}`).toBeLessThan(110);
    }
  }
  return drawn;
}

beforeAll(async () => {
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'config.yaml'), ['metrics:', '  intervalSeconds: 1', 'ssh:', '  connectTimeoutSeconds: 3', ''].join('\n'));
  seed(dataDir);
  server = await startBuiltServer({ dataDir });
  const port = await closedPort();
  const added = await fetch(`${server.url}/api/hosts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...auth() },
    body: JSON.stringify({ name: DEAD, address: '127.0.0.1', port, tags: ['e2e', 'down'] }),
  });
  expect(added.status, await added.clone().text()).toBe(201);
  // The local collector has a few samples and the dead host has failed at least once.
  await until('collectors ran', async () => {
    const res = await fetch(`${server.url}/api/metrics/hosts`, { headers: auth() });
    const { hosts } = CollectorStatusListSchema.parse(await res.json());
    const local = hosts.find((h) => h.host === 'localhost');
    const dead = hosts.find((h) => h.host === DEAD);
    return local?.state === 'ok' && local.runs >= 3 && dead?.state === 'failing';
  });
  browser = await launchBrowser();
  page = browser.page;
  await page.goto(server.uiUrl);
  await page
    .getByRole('navigation', { name: 'Pages' })
    .waitFor({ timeout: TIMEOUT_MS })
    .catch(async (err: unknown) => {
      await browser.screenshot('fleet-signin.png');
      throw new Error(`the UI did not open as the operator: ${String(err)}\nconsole: ${browser.consoleErrors.join('\n')}\nserver: ${server.stderr().slice(-2000)}`);
    });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('fleet view', () => {
  it('lists the hosts with tags, health and last seen, and marks the unreachable one', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
    const local = page.locator('tr.host-row[data-host="localhost"]');
    const dead = page.locator(`tr.host-row[data-host="${DEAD}"]`);
    await local.waitFor({ timeout: TIMEOUT_MS });
    await dead.waitFor({ timeout: TIMEOUT_MS });
    expect(await local.getAttribute('data-health')).toBe('ok');
    expect(await local.locator('.host-last-seen time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await until('current figures', async () => (await local.locator('.host-load').textContent())?.match(/^\d+\.\d\d$/));
    expect(await dead.getAttribute('data-health')).toBe('unreachable');
    expect(await dead.locator('.host-health').textContent()).toContain('unreachable');
    expect(await dead.locator('.host-tag').allTextContents()).toEqual(['e2e', 'down']);
    expect(await dead.locator('.host-last-seen').textContent()).toBe('never');
    await browser.screenshot('fleet.png');
  });

  it("draws a host's collected points: each chart holds exactly what /api/metrics/query returns, for 1 h and 24 h", async () => {
    await page.getByRole('button', { name: 'Charts of localhost' }).click();
    await page.locator('.host-detail[data-host="localhost"]').waitFor({ timeout: TIMEOUT_MS });
    const load = await expectChartMatchesApi('load');
    expect(load.stepMs).toBeNull();
    expect(load.lines.map((l) => l.metric)).toEqual(['load1', 'load5', 'load15']);
    expect(load.lines[0]!.points.length).toBeGreaterThanOrEqual(3);
    expect(load.until - load.since).toBe(3_600_000);
    const cpu = await expectChartMatchesApi('cpu');
    expect(cpu.lines.map((l) => l.metric)).toEqual(['cpu_busy_ratio', 'cpu_iowait_ratio']);
    expect(cpu.lines[0]!.points.length).toBeGreaterThanOrEqual(2);
    await expectChartMatchesApi('memory');
    // Disks and interfaces depend on the machine; when it has them, their lines match too.
    for (const chart of ['disk', 'network']) {
      if ((await page.locator(`figure.metric-chart[data-chart="${chart}"]`).count()) > 0) await expectChartMatchesApi(chart);
    }
    expect(Number(await page.locator('figure.metric-chart[data-chart="load"]').getAttribute('data-points'))).toBe(load.lines.reduce((n, l) => n + l.points.length, 0));
    expect(await page.locator('figure.metric-chart[data-chart="load"] canvas').count()).toBe(1);
    await browser.screenshot('fleet-host.png');

    await page.locator('.host-detail').getByRole('radio', { name: '24 h' }).click();
    await page.locator('.host-detail[data-range="24h"][aria-busy="false"]').waitFor({ timeout: TIMEOUT_MS });
    const day = await expectChartMatchesApi('load', 300_000);
    expect(day.stepMs).toBe(300_000);
    expect(day.until - day.since).toBe(86_400_000);
    expect(day.lines[0]!.points.length).toBeGreaterThanOrEqual(1);
    expect(browser.consoleErrors).toEqual([]);
  });
  it('marks the anomalies stored beside a series on its chart: the marks are the API\'s scores over the threshold, drawn in red', async () => {
    await page.locator('.host-detail').getByRole('button', { name: 'Back to the fleet' }).click();
    await page.getByRole('button', { name: `Charts of ${DEAD}` }).click();
    await page.locator(`.host-detail[data-host="${DEAD}"][data-range="1h"][aria-busy="false"]`).waitFor({ timeout: TIMEOUT_MS });
    const hour = await expectMarksMatchApi('load', null);
    // Exactly the two seeded reports (0.9 and 0.6) on the seeded jumps; the held-down 0.05 is not marked.
    expect(hour.lines[0]!.marks.map(({ at, score, value }) => [at, score, value])).toEqual([
      [SEEDED_SCORES[0]![0], 0.9, 4],
      [SEEDED_SCORES[2]![0], 0.6, 4],
    ]);
    expect(await page.locator('figure.metric-chart[data-chart="load"] .metric-legend-anomalies').allTextContents()).toEqual(['2 anomalies']);
    // A pixel of the plot away from any mark is not the marks' red: the red comes from the marks.
    const [first] = hour.lines[0]!.marks;
    const [r, g] = await pixelAt('load', first!.x + 40, first!.y!);
    expect(r > 180 && g < 110).toBe(false);
    await browser.screenshot('fleet-anomalies.png');
    // 24 h: buckets, each carrying its worst score (max), so both reports are still marked.
    await page.locator('.host-detail').getByRole('radio', { name: '24 h' }).click();
    await page.locator('.host-detail[data-range="24h"][aria-busy="false"]').waitFor({ timeout: TIMEOUT_MS });
    const day = await expectMarksMatchApi('load', 300_000);
    expect(day.lines[0]!.marks.map((m) => m.score)).toEqual([0.9, 0.6]);
    expect(browser.consoleErrors).toEqual([]);
  }, 90_000);
});
