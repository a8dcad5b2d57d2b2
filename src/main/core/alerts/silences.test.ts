import { describe, expect, it } from 'vitest';
import { compileMatcher, silenceMatches } from './silences';

describe('silence matchers', () => {
  it('match anchored at both ends, as Alertmanager', () => {
    expect(compileMatcher('web-[0-9]+')!.test('web-12')).toBe(true);
    expect(compileMatcher('web')!.test('xweb')).toBe(false);
    expect(compileMatcher('a|b')!.test('ab')).toBe(false);
  });

  it('run in linear time on values a webhook chose (a backtracking engine never returns here)', () => {
    expect(compileMatcher('(.*-)+web')!.test('-'.repeat(20_000))).toBe(false);
    expect(compileMatcher('.*a.*b.*c.*d')!.test('abc'.repeat(5_000))).toBe(false);
  });

  it('refuse what cannot run in linear time or is too long', () => {
    expect(compileMatcher('(a)\\1')).toBeNull();
    expect(compileMatcher('(?=a)a')).toBeNull();
    expect(compileMatcher('a'.repeat(513))).toBeNull();
    expect(compileMatcher('(')).toBeNull();
  });

  it('read own labels only: a matcher named constructor or toString sees "" on alerts without it', () => {
    expect(silenceMatches({ matchers: [{ name: 'constructor', value: '.+', isRegex: true }] }, { alertname: 'X' })).toBe(false);
    expect(silenceMatches({ matchers: [{ name: 'toString', value: '', isRegex: false }] }, { alertname: 'X' })).toBe(true);
    expect(silenceMatches({ matchers: [{ name: 'alertname', value: 'X', isRegex: false }] }, { alertname: 'X' })).toBe(true);
  });
});
