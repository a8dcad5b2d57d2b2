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

  it('takes labels in the Prometheus spelling and explains ambiguous or unknown names', async () => {
    const one = await call({ host: 'localhost', metric: 'disk_used_ratio{mount="/var"}' });
    expect(one.text).toMatch(/latest 90\.0%/);
    const many = await call({ host: 'localhost', metric: 'disk_used_ratio' });
    expect(many.text).toContain('disk_used_ratio{mount="/"}, disk_used_ratio{mount="/var"}');
    const unknown = await call({ host: 'localhost', metric: 'load5' });
    expect(unknown.text).toMatch(/it has: disk_used_ratio, load1/);
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
