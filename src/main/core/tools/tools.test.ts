import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release } from 'node:os';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Fleet, Inventory } from '../fleet';
import { loadDefaultPolicy, SafetyGate } from '../safety';

// The real policy: tests see exactly what the product allows and refuses.
const policy = loadDefaultPolicy();
import { Store } from '../store';
import { parseDf, isRealFilesystem } from './parse/commands';
import { coreTools, ToolRegistry, ToolRunner } from './index';

let runner: ToolRunner;
beforeAll(async () => {
  const store = Store.inMemory();
  const inventory = new Inventory(store.hosts);
  const gate = new SafetyGate(await policy);
  runner = new ToolRunner(new ToolRegistry(coreTools), new Fleet(inventory, gate), gate);
});

const call = (tool: string, args: Record<string, unknown> = {}) => runner.call(tool, args, { requester: 'test' });

describe('tools on this machine agree with /proc and df', () => {
  it('server_status', async () => {
    const out = await call('server_status');
    expect(out.record.ok).toBe(true);
    const data = out.data.localhost as {
      system: { hostname: string; kernel: string; cpus: number; load: { one: number; fifteen: number } };
      memory: { totalBytes: number; swapTotalBytes: number };
      disks: { mount: string; sizeBytes: number; usedBytes: number }[];
    };
    expect(data.system.hostname).toBe(hostname());
    expect(data.system.kernel).toBe(release());
    expect(data.system.cpus).toBe(cpus().length);
    expect(Math.abs(data.system.load.fifteen - (loadavg()[2] ?? 0))).toBeLessThan(0.5);
    const memTotalKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    expect(data.memory.totalBytes).toBe(memTotalKb * 1024);
    const swapTotalKb = Number(/SwapTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    expect(data.memory.swapTotalBytes).toBe(swapTotalKb * 1024);

    const df = parseDf(execFileSync('df', ['-P', '-T', '-B1'], { encoding: 'utf8' })).filter(isRealFilesystem);
    expect(data.disks.map((d) => d.mount).sort()).toEqual(df.map((d) => d.mount).sort());
    for (const disk of data.disks) {
      const twin = df.find((d) => d.mount === disk.mount)!;
      expect(disk.sizeBytes).toBe(twin.sizeBytes);
      // Other processes write meanwhile: allow 1% drift in used space.
      expect(Math.abs(disk.usedBytes - twin.usedBytes)).toBeLessThanOrEqual(twin.sizeBytes * 0.01);
    }
    expect(out.text).toContain(`Host: ${hostname()}`);
    expect(out.text).not.toMatch(/\/proc\b.*tmpfs|devtmpfs/);
  });

  it('top_processes sees this test process', async () => {
    const out = await call('top_processes', { sortBy: 'memory', limit: 50 });
    const processes = (out.data.localhost as { processes: { pid: number }[]; total: number });
    expect(processes.total).toBeGreaterThan(3);
    const all = await call('top_processes', { limit: 50, sortBy: 'cpu' });
    expect(all.record.ok).toBe(true);
  });

  it('memory, disk_usage, network_info, services, tail_logs, recent_logins and list_hosts answer', async () => {
    for (const tool of ['memory', 'disk_usage', 'network_info', 'services', 'tail_logs', 'recent_logins', 'list_hosts']) {
      const out = await call(tool);
      expect(out.record.ok, `${tool}: ${out.text}`).toBe(true);
      expect(out.text.length).toBeGreaterThan(10);
    }
    const net = await call('network_info');
    expect(net.text).toMatch(/\blo\b/);
  });

  it('validates arguments and names the problem', async () => {
    const bad = await call('top_processes', { limit: 'ten' });
    expect(bad.record.ok).toBe(false);
    expect(bad.record.error?.code).toBe('bad_request');
    expect(bad.text).toMatch(/limit/);
    const outside = await call('tail_logs', { path: '/etc/shadow' });
    expect(outside.record.error?.code).toBe('bad_request');
    const escape = await call('tail_logs', { path: '/var/log/../../etc/shadow' });
    expect(escape.record.error?.code).toBe('bad_request');
    const unknown = await call('nope');
    expect(unknown.record.error?.message).toMatch(/unknown tool/);
  });

  it('reports an unknown host clearly', async () => {
    const out = await call('server_status', { host: 'web-9' });
    expect(out.record.ok).toBe(false);
    expect(out.record.error).toEqual({ code: 'unknown_host', message: expect.stringMatching(/no host matches "web-9"/) });
  });

  it('derives JSON Schema for every tool from its zod input', () => {
    const schemas = new ToolRegistry(coreTools).schemas();
    expect(schemas.map((s) => s.name)).toEqual(
      expect.arrayContaining(['server_status', 'disk_usage', 'memory', 'top_processes', 'services', 'network_info', 'list_hosts', 'tail_logs']),
    );
    expect(schemas.find((s) => s.name === 'run_command')).toMatchObject({ kind: 'execute', parameters: { required: ['command'] } });
    for (const s of schemas) {
      expect(s.kind).toBe(s.name === 'run_command' ? 'execute' : 'read');
      expect(s.parameters).toMatchObject({ type: 'object', properties: expect.objectContaining({ host: expect.any(Object) }) });
    }
  });
});

describe('read-only result cache', () => {
  it('shares identical concurrent calls and reuses results for the TTL only', async () => {
    const store = Store.inMemory();
    const gate = new SafetyGate(await policy);
    const fleet = new Fleet(new Inventory(store.hosts), gate);
    const gather = vi.spyOn(fleet, 'gather');
    const cached = new ToolRunner(new ToolRegistry(coreTools), fleet, gate, null, 100);
    const opts = { requester: 'test' };
    // The TTL is read from Date.now(): stop that clock so however long the real calls take
    // (a loaded machine), only the steps below move it.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const [a, b] = await Promise.all([cached.call('disk_usage', {}, opts), cached.call('disk_usage', { host: 'localhost' }, opts)]);
      expect(a.record.ok && b.record.ok).toBe(true);
      expect(gather).toHaveBeenCalledTimes(1);
      await cached.call('top_processes', { limit: 3 }, opts);
      expect(gather).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(99);
      await cached.call('disk_usage', {}, opts);
      expect(gather).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(1);
      await cached.call('disk_usage', {}, opts);
      expect(gather).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
