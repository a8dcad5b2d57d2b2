import { hostname } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fleet, Inventory } from '../fleet';
import { loadDefaultPolicy, SafetyGate } from '../safety';

// The real policy: tests see exactly what the product allows and refuses.
const policy = loadDefaultPolicy();
import { Store } from '../store';
import { coreTools, ToolRegistry, ToolRunner } from '../tools';
import { looksLikeHostName, OfflineEngine } from './offline-engine';
import { recogniseIntents } from './intents';

let engine: OfflineEngine;
beforeAll(async () => {
  const store = Store.inMemory();
  store.hosts.upsert({ name: 'web-1', address: '127.0.0.1', port: 1, user: 'ops', identityFile: null, tags: ['web'], jump: null, privacy: 'default' });
  const inventory = new Inventory(store.hosts);
  const gate = new SafetyGate(await policy);
  const tools = new ToolRunner(new ToolRegistry(coreTools), new Fleet(inventory, gate), gate);
  engine = new OfflineEngine(tools, inventory);
});

const ask = (message: string, host: string | null = null) => engine.answer({ message, host, conversationId: 'test' });
const toolsFor = async (message: string) => (await ask(message)).toolCalls.map((c) => c.tool);

describe('OfflineEngine', () => {
  it.each([
    ['Show server status', ['server_status']],
    ['how is the server doing?', ['server_status']],
    ['why is it so slow?', ['server_status']],
    ['cpu load', ['top_processes']],
    ['memory usage', ['memory']],
    ['how much RAM and swap is used', ['memory']],
    ['is any disk full?', ['disk_usage']],
    ['top processes by memory', ['top_processes']],
    ['what is running', ['top_processes']],
    ['list failed services', ['services']],
    ['show recent logs', ['tail_logs']],
    ['network interfaces and listening ports', ['network_info']],
    ['who logged in recently?', ['recent_logins']],
    ['list hosts', ['list_hosts']],
    ['memory and disk', ['memory', 'disk_usage']],
  ])('answers %j with %j', async (message, tools) => {
    expect(await toolsFor(message)).toEqual(tools);
  });

  it('labels answers as offline and reports real data', async () => {
    const answer = await ask('Show server status');
    expect(answer.reply).toMatch(/^\[offline\]/);
    expect(answer.reply).toContain('offline engine');
    expect(answer.reply).toContain(hostname());
    expect(answer.reply).toMatch(/Findings:/);
  });

  it('sorts by memory when asked', async () => {
    const answer = await ask('top processes by memory');
    expect(answer.toolCalls[0]?.args).toEqual({ sortBy: 'memory' });
  });

  it('reads a unit or a log file when named', async () => {
    expect((await ask('show logs for nginx')).toolCalls[0]?.args).toEqual({ unit: 'nginx' });
    expect((await ask('show the log /var/log/dpkg.log')).toolCalls[0]?.args).toEqual({ path: '/var/log/dpkg.log' });
  });

  it('explains what it can do, and how to add a model', async () => {
    const help = await ask('what can you do?');
    expect(help.toolCalls).toEqual([]);
    expect(help.reply).toMatch(/offline engine/);
    expect(help.reply).toMatch(/OPENAI_API_KEY/);
    const unknown = await ask('write me a poem about kubernetes');
    expect(unknown.reply).toMatch(/couldn't match/);
    expect(unknown.reply).toMatch(/OPENAI_BASE_URL/);
  });

  it('says so when a message names an unknown host', async () => {
    for (const message of ['why is web-2 slow?', 'show status of db-7', 'disk usage on cache.example.com', 'status of tag:nope']) {
      const answer = await ask(message);
      expect(answer.reply, message).toMatch(/don't know a host named/);
      expect(answer.toolCalls).toEqual([]);
    }
  });

  it('routes a named host and reports an unreachable one per host', async () => {
    const answer = await ask('status of web-1');
    expect(answer.host).toBe('web-1');
    expect(answer.toolCalls[0]).toMatchObject({ tool: 'server_status', host: 'web-1', ok: false });
    expect(answer.reply).toMatch(/web-1/);
  });

  it('accepts the machine hostname as localhost, and the conversation host as default', async () => {
    const byName = await ask(`disk usage on ${hostname()}`);
    expect(byName.toolCalls[0]).toMatchObject({ host: 'localhost', ok: true });
    const byDefault = await ask('memory', 'web-1');
    expect(byDefault.toolCalls[0]?.host).toBe('web-1');
  });

  it('fans out for "all servers"', async () => {
    const answer = await ask('disk usage on all servers');
    expect(answer.host).toBe('all');
    expect(answer.toolCalls[0]?.summary).toMatch(/localhost: .*web-1: unreachable/);
  });
});

describe('intent and host-name heuristics', () => {
  it('does not take ordinary words for hosts', () => {
    for (const w of ['x86-64', 'utf-8', 'ext4', 'nginx.service', 'dpkg.log', 'ipv-6', 'k8s']) expect(looksLikeHostName(w), w).toBe(false);
    for (const w of ['web-2', 'app-server-03', 'db-1a', 'db1.example.com']) expect(looksLikeHostName(w), w).toBe(true);
  });

  it('finds no intent in unrelated text', () => {
    expect(recogniseIntents('tell me a joke')).toEqual([]);
  });
});
