import { beforeAll, describe, expect, it } from 'vitest';
import { Fleet, Inventory } from '../fleet';
import { MetricStore } from '../metrics';
import type { CommandPolicy } from '../safety';
import { SafetyGate } from '../safety';
import { Store } from '../store';
import { coreTools, ToolRegistry, ToolRunner } from './index';

// Reading stored metrics runs no command: a policy that refuses everything changes nothing.
const refuseAll: CommandPolicy = { version: 't', evaluate: () => ({ decision: 'deny', category: 'unknown', reasons: ['no commands in this test'] }) };

let runner: ToolRunner;
const now = Date.now();
beforeAll(() => {
  const store = Store.inMemory();
  const inventory = new Inventory(store.hosts);
  const gate = new SafetyGate(refuseAll);
  runner = new ToolRunner(new ToolRegistry(coreTools), new Fleet(inventory, gate), gate);
  const metrics = new MetricStore(store.db, { now: () => now });
  for (let i = 0; i < 120; i++) {
    metrics.append({
      host: 'localhost',
      source: 'collector',
      at: now - (120 - i) * 15_000,
      values: [
        { name: 'load1', labels: {}, value: i < 100 ? 0.5 : 4 },
        { name: 'disk_used_ratio', labels: { mount: '/' }, value: 0.5 },
        { name: 'disk_used_ratio', labels: { mount: '/var' }, value: 0.9 },
      ],
    });
  }
  // The detector's stored scores beside load1 (as MetricsService writes them): one report at the jump, one held-down score after it.
  metrics.append({ host: 'localhost', source: 'anomaly-detector', at: now - 20 * 15_000, values: [{ name: 'anomaly_score', labels: { metric_name: 'load1' }, value: 0.9 }] });
  metrics.append({ host: 'localhost', source: 'anomaly-detector', at: now - 19 * 15_000, values: [{ name: 'anomaly_score', labels: { metric_name: 'load1' }, value: 0.05 }] });
  runner.metrics = { query: (q) => metrics.query(q), listSeries: (h) => metrics.listSeries(h), hostStatus: () => null };
});

const call = (args: Record<string, unknown>) => runner.call('metrics_query', args, { requester: 'test' });

describe('metrics_query', () => {
  it('summarises a series for the model and keeps the points as data', async () => {
    const out = await call({ host: 'localhost', metric: 'load1', since: '-31m' });
    expect(out.record.ok).toBe(true);
    expect(out.text).toMatch(/load1 on localhost/);
    expect(out.text).toMatch(/min 0\.50, avg .*, max 4\.00, latest 4\.00/);
    expect(out.text).toMatch(/trend: [▁-█ ]+/);
    const data = out.data.localhost as { points: [number, number][]; unit: string };
    expect(data.points).toHaveLength(120);
    expect(data.unit).toBe('load');
  });

  it('lists the points the anomaly detector flagged, with their values and scores, and says so when none were', async () => {
    const out = await call({ host: 'localhost', metric: 'load1', since: '-31m' });
    const at = new Date(now - 20 * 15_000).toISOString().slice(11, 19);
    expect(out.text).toContain(`anomalies (1, detector score ≥ 0.1): ${at} 4.00 (score 0.90)`);
    expect(out.record.summary).toMatch(/1 anomaly$/);
    expect((out.data.localhost as { anomalies: unknown[] }).anomalies).toEqual([{ at: now - 20 * 15_000, score: 0.9 }]);
    const quiet = await call({ host: 'localhost', metric: 'disk_used_ratio{mount="/"}' });
    expect(quiet.text).toContain('anomalies: none flagged in this window.');
  });

  it('takes labels in the Prometheus spelling and explains ambiguous or unknown names', async () => {
    const one = await call({ host: 'localhost', metric: 'disk_used_ratio{mount="/var"}' });
    expect(one.text).toMatch(/latest 90\.0%/);
    const many = await call({ host: 'localhost', metric: 'disk_used_ratio' });
    expect(many.text).toContain('disk_used_ratio{mount="/"}, disk_used_ratio{mount="/var"}');
    const unknown = await call({ host: 'localhost', metric: 'load5' });
    // the stored anomaly scores are a series like any other (anomaly_score{metric_name=...})
    expect(unknown.text).toMatch(/it has: anomaly_score, disk_used_ratio, load1/);
    const bad = await call({ host: 'localhost', metric: 'load1', since: 'yesterday' });
    expect(bad.record.ok).toBe(false);
    expect(bad.text).toMatch(/not a time/);
  });

  it('is a read tool with the DESIGN arguments', () => {
    const schema = new ToolRegistry(coreTools).schemas().find((s) => s.name === 'metrics_query');
    expect(schema).toMatchObject({ kind: 'read', parameters: { required: ['host', 'metric'] } });
    expect(Object.keys((schema!.parameters as { properties: object }).properties).sort()).toEqual(['host', 'metric', 'since', 'until']);
  });
});
