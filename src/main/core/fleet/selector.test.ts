import { describe, expect, it } from 'vitest';
import type { Host } from '../../../shared/protocol';
import { selectHosts, SelectorError } from './index';

const host = (name: string, tags: string[] = []): Host => ({
  name, address: name, port: 22, user: null, identityFile: null, tags, jump: null, privacy: 'default', transport: 'ssh',
});
const fleet = [host('web-1', ['web', 'prod']), host('web-2', ['web']), host('db-1', ['db', 'prod']), host('localhost', ['local'])];
const names = (sel: string) => selectHosts(sel, fleet).map((h) => h.name);

describe('selectHosts', () => {
  it('selects all, names, globs, tags, lists and exclusions', () => {
    expect(names('all')).toHaveLength(4);
    expect(names('web-1')).toEqual(['web-1']);
    expect(names('web-*')).toEqual(['web-1', 'web-2']);
    expect(names('tag:prod')).toEqual(['web-1', 'db-1']);
    expect(names('web-2,db-1')).toEqual(['web-2', 'db-1']);
    expect(names('all,!tag:prod')).toEqual(['web-2', 'localhost']);
    expect(names('!web-*')).toEqual(['db-1', 'localhost']);
  });

  it('says so when a term matches nothing', () => {
    expect(() => names('web-9')).toThrow(SelectorError);
    expect(() => names('web-9')).toThrow(/no host matches "web-9"/);
    expect(() => names('tag:nope')).toThrow(/tag:nope/);
    expect(() => names('web-1,!web-1')).toThrow(/leaves no hosts/);
    expect(() => names(' , ')).toThrow(/empty/);
  });
});
