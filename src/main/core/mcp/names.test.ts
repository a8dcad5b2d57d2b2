import { describe, expect, it } from 'vitest';
import { qualifyToolNames, TOOL_NAME } from './names';

describe('qualifyToolNames', () => {
  it('gives <server>__<tool> when it is valid and free', () => {
    const names = qualifyToolNames([{ server: 'fs', tool: 'read_file' }], new Set(['run_command']));
    expect(names.get('fs\0read_file')).toBe('fs__read_file');
  });

  it('cleans characters the model does not accept, cuts long names, and resolves collisions deterministically', () => {
    const tools = [
      { server: 'a', tool: 'x.y' },
      { server: 'a', tool: 'x_y' },
      { server: 'long', tool: 'z'.repeat(100) },
      { server: 'srv', tool: 'dup' },
    ];
    const taken = new Set(['srv__dup']);
    const names = qualifyToolNames(tools, taken);
    const values = [...names.values()];
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v).toMatch(TOOL_NAME);
    expect(values).not.toContain('srv__dup');
    expect(names.get('a\0x_y')).toBe('a__x_y');
    expect(names.get('a\0x.y')).not.toBe('a__x_y');
    // Same inputs in another order: same names.
    expect(qualifyToolNames([...tools].reverse(), taken)).toEqual(names);
  });
});
