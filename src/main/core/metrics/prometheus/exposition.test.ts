import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition, parseValue } from './exposition';

describe('Prometheus text exposition parser', () => {
  it('reads HELP/TYPE, labels with escapes, special values and timestamps', () => {
    const text = [
      '# HELP node_load1 1m load average.',
      '# TYPE node_load1 gauge',
      'node_load1 4.11',
      '# TYPE node_cpu_seconds_total counter',
      'node_cpu_seconds_total{cpu="0",mode="idle"} 3818.37',
      'node_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/mnt/a \\"b\\"\\\\c\\nd",} 2.70553174016e+11',
      'weird_value{a="x"} NaN',
      'inf_value +Inf 1700000000000',
      'neg -Inf',
      '  ',
      '# a plain comment',
      'no_labels_spaces   {  a = "1" , b="2"  }   7',
    ].join('\n');
    const { samples, types } = parseExposition(text);
    expect(types.get('node_load1')).toBe('gauge');
    expect(types.get('node_cpu_seconds_total')).toBe('counter');
    expect(samples[0]).toEqual({ name: 'node_load1', labels: {}, value: 4.11, timestampMs: null });
    expect(samples[1]).toEqual({ name: 'node_cpu_seconds_total', labels: { cpu: '0', mode: 'idle' }, value: 3818.37, timestampMs: null });
    expect(samples[2]?.labels.mountpoint).toBe('/mnt/a "b"\\c\nd');
    expect(samples[2]?.value).toBe(270553174016);
    expect(Number.isNaN(samples[3]?.value)).toBe(true);
    expect(samples[4]).toEqual({ name: 'inf_value', labels: {}, value: Infinity, timestampMs: 1700000000000 });
    expect(samples[5]?.value).toBe(-Infinity);
    expect(samples[6]).toEqual({ name: 'no_labels_spaces', labels: { a: '1', b: '2' }, value: 7, timestampMs: null });
  });

  it('refuses what it cannot read, naming the line', () => {
    const bad = ['ok 1', 'broken{a="1" 2'].join('\n');
    expect(() => parseExposition(bad)).toThrow(ExpositionError);
    expect(() => parseExposition(bad)).toThrow(/line 2/);
    expect(() => parseExposition('x{a="1} 2')).toThrow(/unterminated/);
    expect(() => parseExposition('x 0x10')).toThrow(/not a number/);
    expect(() => parseExposition('x')).toThrow(/no value/);
    expect(() => parseExposition('x 1 2 3')).toThrow(/unexpected text/);
    expect(() => parseExposition('x 1 soon')).toThrow(/timestamp/);
    expect(() => parseExposition('x{a="1",a="2"} 1')).toThrow(/twice/);
    expect(() => parseExposition('<html>')).toThrow(/metric name/);
    expect(() => parseExposition('# TYPE x bogus')).toThrow(/unknown metric type/);
    expect(() => parseExposition('a 1\nb 2\nc 3', { maxSamples: 2 })).toThrow(/more than 2 samples/);
  });

  it('reads values as Go does and nothing else', () => {
    expect(parseValue('1e3')).toBe(1000);
    expect(parseValue('.5')).toBe(0.5);
    expect(parseValue('-2')).toBe(-2);
    expect(parseValue('')).toBeNull();
    expect(parseValue('1,5')).toBeNull();
  });
});
