import { describe, expect, it } from 'vitest';
import { AnomalyTracker } from './tracker';

const batch = (host: string, at: number, values: { name: string; labels?: Record<string, string>; value: number }[]) => ({ host, at, values });

describe('AnomalyTracker', () => {
  it('keeps one detector per host and series and reports a spike of one series only', () => {
    const t = new AnomalyTracker();
    const events = [];
    for (let i = 0; i < 2000; i++) {
      const wave = 0.5 + 0.2 * Math.sin(i / 30) + ((i * 7919) % 13) / 1000;
      events.push(
        ...t.append(
          batch('web1', i * 15_000, [
            { name: 'cpu_busy_ratio', value: i === 1500 ? 3 : wave },
            { name: 'disk_used_ratio', labels: { mount: '/' }, value: wave },
          ]),
        ),
      );
      events.push(...t.append(batch('web2', i * 15_000, [{ name: 'cpu_busy_ratio', value: wave }])));
    }
    expect(t.trackedSeries).toBe(3);
    const spike = events.filter((e) => e.at === 1500 * 15_000);
    expect(spike).toEqual([{ host: 'web1', series: 'cpu_busy_ratio', at: 1500 * 15_000, value: 3, score: expect.any(Number) }]);
    expect(t.anomalies({ host: 'web1', series: 'cpu_busy_ratio', since: 1500 * 15_000 })[0]?.value).toBe(3);
    expect(t.lastScore('web1', 'disk_used_ratio{mount="/"}')).not.toBeNull();
  });

  it('ignores out-of-order points and bounds series and events', () => {
    const t = new AnomalyTracker({ maxSeries: 10, maxEvents: 5, threshold: 0 });
    for (let s = 0; s < 50; s++) t.append(batch('h', 1000, [{ name: `m${s}`, value: s }]));
    expect(t.trackedSeries).toBe(10);
    expect(t.anomalies().length).toBe(5);
    const before = t.anomalies().length;
    t.append(batch('h', 500, [{ name: 'm49', value: 1 }]));
    expect(t.anomalies().length).toBe(before);
  });
  it('replays a new series\' history (causally, without reports) and scores every point it is fed', () => {
    const asked: [string, string, number][] = [];
    const history = Array.from({ length: 300 }, () => 3);
    const t = new AnomalyTracker({ history: (host, name, _labels, before) => (asked.push([host, name, before]), history) });
    const first = t.score(batch('h', 1000, [{ name: 'm', value: 3 }]));
    expect(first).toEqual([{ name: 'm', labels: {}, series: 'm', value: 3, score: 0 }]);
    expect(asked).toEqual([['h', 'm', 1000]]);
    // Replayed history is past warm-up: the first change is reported at once; a new tracker without it stays silent.
    expect(t.append(batch('h', 2000, [{ name: 'm', value: 4 }]))).toHaveLength(1);
    expect(new AnomalyTracker().append(batch('h', 2000, [{ name: 'm', value: 4 }]))).toHaveLength(0);
    // Only a new detector asks for history.
    expect(asked).toHaveLength(1);
  });
});
