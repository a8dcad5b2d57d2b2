import { describe, expect, it } from 'vitest';
import { diagnose, type Figures } from '../metrics';
import type { ToolCallOutcome } from '../tools';
import { fleetStatus, fleetTableBlock } from './fleet-status';

const f = (over: Partial<Figures>): Figures => ({
  cpuBusy: 0.1, cpuIowait: 0, cpuSteal: 0, load1: 0.2, cpus: 4, memTotalBytes: 100, memAvailableBytes: 80, swapTotalBytes: 0, swapUsedBytes: 0, swapGrowthBytesPerSecond: 0,
  psiCpuSome: 0, psiIoSome: 0, psiMemorySome: 0, psiMemoryFull: 0, failedUnits: 0, disks: [], devices: [], ...over,
});
const ok = (host: string, over: Partial<Figures> = {}) => ({ diagnosis: diagnose({ host, state: 'ok', at: 1, figures: f(over), baseline: null, processes: [] }), system: { hostname: `${host}.lan`, os: 'Debian 12', uptimeSeconds: 3600 } });

describe('fleet status from server_status over several hosts', () => {
  const outcome = {
    record: {} as ToolCallOutcome['record'],
    approvals: [],
    data: { 'a-1': ok('a-1'), 'b-1': ok('b-1', { cpuBusy: 0.99, load1: 9, cpus: 2 }) },
    text: '== a-1 ==\n...\n\n== c-1 ==\nserver_status failed on c-1: cannot connect: ECONNREFUSED\n\n== d-1 ==\nserver_status failed on d-1: d-1 did not answer in time (timed out)\n\n== b-1 ==\n...',
  } as ToolCallOutcome;

  it('puts unreachable hosts in one line on top and the busy host first', () => {
    const { text, diagnoses } = fleetStatus(outcome, ['a-1', 'b-1', 'c-1', 'd-1']);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Unreachable (2): c-1 unreachable (cannot connect: ECONNREFUSED); d-1 timed out (d-1 did not answer in time (timed out))');
    expect(lines[1]).toMatch(/^Host\s+State/);
    expect(lines[2]).toMatch(/^b-1\s+critical\s+99 %/);
    expect(lines[3]).toMatch(/^a-1\s+ok\s+10 %/);
    expect(text).toMatch(/- b-1 \[critical\] CPU busy 99 %/);
    expect(text).toMatch(/- a-1: Host: a-1\.lan, Debian 12, up 1h 0m/);
    expect(diagnoses.find((d) => d.host === 'd-1')?.state).toBe('timeout');
    expect(fleetTableBlock(diagnoses).rows.map((r) => r[0])).toEqual(['c-1', 'd-1', 'b-1', 'a-1']);
  });
});
