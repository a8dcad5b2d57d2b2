import { describe, expect, it } from 'vitest';
import type { AuditEntryView } from '../../../shared/protocol';
import { chainStatus, formatTime, summarize } from './format';

const at = (kind: AuditEntryView['kind'], data: Record<string, unknown>): AuditEntryView => ({
  seq: 1,
  at: '2026-01-01T00:00:00.000Z',
  kind,
  actor: 'http',
  host: 'localhost',
  subject: null,
  data,
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
});

describe('audit summaries', () => {
  it('say what each kind of entry decided or did', () => {
    expect(summarize(at('decision', { decision: 'allow', category: 'read_only', reasons: [] }))).toEqual({ text: 'allow · read_only', tone: 'ok' });
    expect(summarize(at('decision', { decision: 'deny', category: 'destructive' }))).toEqual({ text: 'deny · destructive', tone: 'fail' });
    expect(summarize(at('execution', { exitCode: 0, signal: null, durationMs: 12.3 }))).toEqual({ text: 'exit 0 · 12.3 ms', tone: 'ok' });
    expect(summarize(at('execution', { exitCode: 2, durationMs: 2500 }))).toEqual({ text: 'exit 2 · 2.50 s', tone: 'fail' });
    expect(summarize(at('execution', { error: 'connection refused' }))).toEqual({ text: 'error: connection refused', tone: 'fail' });
    expect(summarize(at('tool_call', { ok: true, durationMs: 40 }))).toEqual({ text: 'ok · 40 ms', tone: 'ok' });
    expect(summarize(at('tool_call', { ok: false, error: 'approval_required', approvals: ['a1'] })).tone).toBe('warn');
    expect(summarize(at('tool_call', { ok: false, error: 'timeout' }))).toEqual({ text: 'failed: timeout', tone: 'fail' });
    expect(summarize(at('approval', { event: 'requested', category: 'mutating' }))).toEqual({ text: 'requested · mutating', tone: 'warn' });
    expect(summarize(at('approval', { event: 'approved', remember: 'host' }))).toEqual({ text: 'approved · remember for host', tone: 'ok' });
    expect(summarize(at('approval', { event: 'approved', remember: 'once' }))).toEqual({ text: 'approved', tone: 'ok' });
    expect(summarize(at('approval', { event: 'denied', reason: 'not on a Friday' }))).toEqual({ text: 'denied: not on a Friday', tone: 'fail' });
    expect(summarize(at('request', { engine: 'offline', length: 18, model: null }))).toEqual({ text: 'offline engine · 18 chars', tone: 'neutral' });
    expect(summarize(at('policy', { event: 'remembered_rule', scope: 'host', target: 'web-1' })).text).toBe('remembered rule · host · web-1');
    expect(summarize(at('settings', { name: 'vllm', baseURL: 'http://127.0.0.1:8001/v1', nested: { a: 1 } })).text).toBe('name: vllm · baseURL: http://127.0.0.1:8001/v1');
  });

  it('survive data that is not what they expect', () => {
    expect(summarize(at('execution', { exitCode: '0' })).tone).toBe('fail');
    expect(summarize(at('decision', {}))).toEqual({ text: 'unknown', tone: 'neutral' });
    expect(summarize(at('retention', {})).text).toBe('');
  });
});

describe('chain status', () => {
  it('counts rows and checkpoints of an intact chain', () => {
    expect(chainStatus({ ok: true, rows: 57, checkpoints: 1, firstSeq: 1, lastSeq: 57, uncheckpointedRows: 7 })).toEqual({
      intact: true,
      headline: 'Chain intact',
      detail: '57 rows, 1 signed checkpoint (7 newest rows not yet checkpointed)',
    });
    expect(chainStatus({ ok: true, rows: 50, checkpoints: 2, firstSeq: 1, lastSeq: 50, uncheckpointedRows: 0 }).detail).toBe('50 rows, 2 signed checkpoints (every row checkpointed)');
    expect(chainStatus({ ok: true, rows: 0, checkpoints: 0, firstSeq: null, lastSeq: null, uncheckpointedRows: 0 }).detail).toBe('0 rows, 0 signed checkpoints');
  });

  it('names the first broken row and the problem', () => {
    expect(chainStatus({ ok: false, brokenAt: 4, problem: 'row 4 was altered: its content no longer matches its hash', rows: 9, checkpoints: 0 })).toEqual({
      intact: false,
      headline: 'Tampering detected at row 4',
      detail: 'row 4 was altered: its content no longer matches its hash',
    });
  });

  it('prints local time as YYYY-MM-DD HH:MM:SS and leaves what it cannot parse alone', () => {
    expect(formatTime('2026-03-05T14:03:22.000Z')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(formatTime('yesterday')).toBe('yesterday');
  });
});
