import { describe, expect, it } from 'vitest';

process.env.FLEETMIND_CLI_NO_AUTORUN = '1';
const { buildProgram, COMMANDS, selectedCommand } = await import('../src/main/core/cli/main');

describe('lazy command loading', () => {
  it('the top-level help from stubs is exactly the help of the loaded commands', async () => {
    const lazy = await buildProgram(['node', 'fleetmind', '--help']);
    const full = await buildProgram(['node', 'fleetmind'], { all: true });
    expect(lazy.helpInformation()).toBe(full.helpInformation());
    expect(full.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
  });

  it('loads only the command argv names', async () => {
    const program = await buildProgram(['node', 'fleetmind', 'exec', '--hosts', 'x', '--', 'uptime']);
    const exec = program.commands.find((c) => c.name() === 'exec')!;
    expect(exec.options.some((o) => o.long === '--hosts')).toBe(true);
    expect(program.commands.find((c) => c.name() === 'serve')!.options).toEqual([]);
  });

  it('finds the command after top-level options and after help', () => {
    expect(selectedCommand(['--help'])).toBeNull();
    expect(selectedCommand(['exec', '--hosts', 'all'])).toBe('exec');
    expect(selectedCommand(['help', 'policy'])).toBe('policy');
    expect(selectedCommand(['frobnicate'])).toBeNull();
  });
});
