// Alerts (issue 19): POST /api/alerts as Alertmanager sends it, through the built server.
// A one-alert webhook (new firings, then retries of one firing: the de-duplication path) and
// a storm of 1000 alerts in one payload (interpretations are rate-limited, so most are
// deferred; the payload itself must still be taken quickly). Targets: one-alert p50 < 20 ms,
// the 1000-alert payload < 3 s.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureBuild } from '../../scripts/ensure-build.mjs';
import { percentile, printTable, startBinServer, writeResults } from './lib.mjs';

const CALLS = Number(process.env.FLEETMIND_BENCH_ALERT_CALLS ?? 200);
const TARGET_ONE_P50_MS = 20;
const TARGET_STORM_MS = 3000;

const payload = (alerts, groupKey = '{}:{alertname="Bench"}') => ({
  version: '4',
  groupKey,
  status: 'firing',
  receiver: 'fleetmind',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager.bench',
  alerts: alerts.map((fingerprint) => ({
    status: 'firing',
    labels: { alertname: 'Bench', instance: 'nowhere:9100', severity: 'warning', job: 'node' },
    annotations: { summary: 'bench alert', description: 'x'.repeat(200) },
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint,
  })),
});

export async function run() {
  ensureBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-bench-alerts-'));
  mkdirSync(dataDir, { recursive: true });
  // A budget of one interpretation (of a host-less alert: no tool runs): this measures taking
  // the webhook, with the storm's alerts taking the deferred path as they do in production.
  writeFileSync(join(dataDir, 'config.yaml'), 'alerts:\n  interpretation: { perMinute: 0, burst: 1, perHour: 1 }\n');
  const { child, url } = await startBinServer({ FLEETMIND_HOME: dataDir, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' });
  try {
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    const post = async (body) => {
      const res = await fetch(`${url}/api/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`POST /api/alerts: ${res.status} ${await res.text()}`);
      return res.json();
    };
    for (let i = 0; i < 20; i++) await post(payload([`warm${i}`]));
    const created = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      await post(payload([`new${i}`]));
      created.push(performance.now() - t);
    }
    const retried = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      const r = await post(payload(['new0']));
      if (r.duplicates !== 1) throw new Error('a retry was not de-duplicated');
      retried.push(performance.now() - t);
    }
    const storm = Array.from({ length: 1000 }, (_, i) => `storm${i}`);
    const t = performance.now();
    const r = await post(payload(storm, '{}:{alertname="Storm"}'));
    const stormMs = performance.now() - t;
    if (r.created !== 1000) throw new Error(`storm: ${JSON.stringify(r)}`);
    // The storm goes on in the same group: a payload must not cost more as firing alerts pile up (it was quadratic).
    let laterMs = 0;
    for (let p = 1; p <= 4; p++) {
      const tp = performance.now();
      const rp = await post(payload(storm.map((f) => `${f}p${p}`), '{}:{alertname="Storm"}'));
      laterMs = performance.now() - tp;
      if (rp.created !== 1000) throw new Error(`storm ${p}: ${JSON.stringify(rp)}`);
    }
    const rows = [
      { metric: 'one new alert p50', value: percentile(created, 50), unit: 'ms', target: TARGET_ONE_P50_MS },
      { metric: 'one new alert p99', value: percentile(created, 99), unit: 'ms', target: null },
      { metric: 'retried alert (dedup) p50', value: percentile(retried, 50), unit: 'ms', target: TARGET_ONE_P50_MS },
      { metric: '1000 alerts in one payload', value: stormMs, unit: 'ms', target: TARGET_STORM_MS },
      { metric: '5th such payload (4000 firing in its group)', value: laterMs, unit: 'ms', target: TARGET_STORM_MS },
    ];
    printTable(`alerts (${CALLS} webhooks each)`, rows);
    writeResults('alerts', { calls: CALLS, rows });
    return rows.every((row) => row.target === null || row.value <= row.target);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
