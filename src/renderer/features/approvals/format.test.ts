import { describe, expect, it } from 'vitest';
import { describeHosts, formatCountdown, outputPreview, sharedTags } from './format';

describe('approval formatting', () => {
  it('counts down in minutes and seconds, hours above an hour, never below zero', () => {
    expect(formatCountdown(299_500)).toBe('5:00');
    expect(formatCountdown(59_000)).toBe('0:59');
    expect(formatCountdown(3_900_000)).toBe('1 h 05 min');
    expect(formatCountdown(-5000)).toBe('0:00');
  });

  it('names hosts in prose, shortening long fan-outs', () => {
    expect(describeHosts(['localhost'])).toBe('localhost');
    expect(describeHosts(['web-1', 'web-2'])).toBe('web-1 and web-2');
    expect(describeHosts(['a', 'b', 'c', 'd', 'e'])).toBe('a, b and 3 more');
  });

  it('offers a tag only when every host is known and carries it', () => {
    const tags = { 'web-1': ['web', 'prod'], 'web-2': ['web'], db: ['db'] };
    expect(sharedTags(['web-1', 'web-2'], tags)).toEqual(['web']);
    expect(sharedTags(['web-1', 'db'], tags)).toEqual([]);
    expect(sharedTags(['web-1', 'unknown'], tags)).toEqual([]);
  });

  it('previews the first lines of output', () => {
    expect(outputPreview('one\ntwo\nthree\nfour\n', 2)).toBe('one\ntwo\n…');
    expect(outputPreview('short\n')).toBe('short');
  });
});
