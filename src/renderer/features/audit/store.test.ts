import { describe, expect, it, vi } from 'vitest';
import type { AuditEntryView, AuditPage, AuditQuery, AuditVerify } from '../../../shared/protocol';
import { TransportError, type Transport } from '../../transport';
import { AUDIT_PAGE_SIZE, createAuditStore, JUMP_CONTEXT } from './store';

const KINDS = ['request', 'decision', 'tool_call', 'execution'] as const;

const entry = (seq: number): AuditEntryView => ({
  seq,
  at: `2026-01-01T00:00:00.000Z`,
  kind: KINDS[seq % KINDS.length]!,
  actor: 'http',
  host: 'localhost',
  subject: 'uptime',
  data: {},
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
});

/** A log of `rows` entries served the way the core pages it: newest first, `beforeSeq` exclusive. */
function fakeTransport(rows: number, verify: AuditVerify = { ok: true, rows, checkpoints: 1, firstSeq: 1, lastSeq: rows, uncheckpointedRows: 3 }) {
  const log = Array.from({ length: rows }, (_, i) => entry(i + 1));
  const state = { verify };
  const auditPage = vi.fn(async (query: AuditQuery): Promise<AuditPage> => {
    const entries = log
      .filter((e) => (query.beforeSeq === undefined || e.seq < query.beforeSeq) && (!query.kind || e.kind === query.kind))
      .reverse()
      .slice(0, query.limit ?? 100);
    return { entries, verify: state.verify };
  });
  return { transport: { auditPage } as unknown as Transport, auditPage, state };
}

describe('audit store', () => {
  it('loads the newest page with the verification, then pages back with beforeSeq until the start', async () => {
    const fake = fakeTransport(AUDIT_PAGE_SIZE + 20);
    const store = createAuditStore(fake.transport, () => new Date('2026-02-01T10:00:00Z'));
    await store.getState().load();
    let s = store.getState();
    expect(fake.auditPage).toHaveBeenLastCalledWith({ limit: AUDIT_PAGE_SIZE });
    expect(s.entries).toHaveLength(AUDIT_PAGE_SIZE);
    expect(s.entries[0]!.seq).toBe(AUDIT_PAGE_SIZE + 20);
    expect(s.verify).toMatchObject({ ok: true, rows: AUDIT_PAGE_SIZE + 20 });
    expect(s.checkedAt).toBe('2026-02-01T10:00:00.000Z');
    expect(s.hasOlder).toBe(true);
    expect(s.loaded).toBe(true);

    await expect(store.getState().loadOlder()).resolves.toBe(20);
    s = store.getState();
    expect(fake.auditPage).toHaveBeenLastCalledWith({ limit: AUDIT_PAGE_SIZE, beforeSeq: 21 });
    expect(s.entries.map((e) => e.seq)).toEqual(Array.from({ length: AUDIT_PAGE_SIZE + 20 }, (_, i) => AUDIT_PAGE_SIZE + 20 - i));
    expect(s.hasOlder).toBe(false);
    // Nothing more to ask for.
    await expect(store.getState().loadOlder()).resolves.toBe(0);
    expect(fake.auditPage).toHaveBeenCalledTimes(2);
  });

  it('filters by kind, and the filter is kept when paging back', async () => {
    const fake = fakeTransport(4 * AUDIT_PAGE_SIZE + 8);
    const store = createAuditStore(fake.transport);
    store.getState().setKind('execution');
    await vi.waitFor(() => expect(store.getState().loaded).toBe(true));
    expect(fake.auditPage).toHaveBeenLastCalledWith({ limit: AUDIT_PAGE_SIZE, kind: 'execution' });
    expect(store.getState().entries.every((e) => e.kind === 'execution')).toBe(true);
    const oldest = store.getState().entries.at(-1)!.seq;
    await store.getState().loadOlder();
    expect(fake.auditPage).toHaveBeenLastCalledWith({ limit: AUDIT_PAGE_SIZE, kind: 'execution', beforeSeq: oldest });
    store.getState().setKind(null);
    await vi.waitFor(() => expect(fake.auditPage).toHaveBeenLastCalledWith({ limit: AUDIT_PAGE_SIZE }));
  });

  it('drops an older page that arrives after a fresh load (another filter must not mix in)', async () => {
    const fake = fakeTransport(2 * AUDIT_PAGE_SIZE);
    const store = createAuditStore(fake.transport);
    await store.getState().load();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = fake.auditPage.getMockImplementation()!;
    fake.auditPage.mockImplementationOnce(async (query) => {
      await gate;
      return original(query);
    });
    const older = store.getState().loadOlder();
    store.getState().setKind('decision');
    await vi.waitFor(() => expect(store.getState().entries.every((e) => e.kind === 'decision')).toBe(true));
    release();
    await expect(older).resolves.toBe(0);
    expect(store.getState().entries.every((e) => e.kind === 'decision')).toBe(true);
    expect(store.getState().loadingOlder).toBe(false);
  });

  it('shows the newest verification, including a broken chain, and keeps rows on a failed refresh', async () => {
    const fake = fakeTransport(5);
    const store = createAuditStore(fake.transport);
    await store.getState().load();
    fake.state.verify = { ok: false, brokenAt: 3, problem: 'row 3 was altered: its content no longer matches its hash', rows: 5, checkpoints: 0 };
    await store.getState().load();
    expect(store.getState().verify).toEqual(fake.state.verify);

    fake.auditPage.mockRejectedValueOnce(new TransportError({ code: 'unauthorized', message: 'reading the audit log needs the operator token' }));
    await store.getState().load();
    expect(store.getState().error).toEqual({ code: 'unauthorized', message: 'reading the audit log needs the operator token' });
    expect(store.getState().entries).toHaveLength(5);
    store.getState().dismissError();
    expect(store.getState().error).toBeNull();
  });

  it('jumps to a row far down the log (all kinds, a few newer rows above it) and back to the newest', async () => {
    const fake = fakeTransport(3 * AUDIT_PAGE_SIZE);
    const store = createAuditStore(fake.transport);
    store.getState().setKind('execution');
    await vi.waitFor(() => expect(store.getState().loaded).toBe(true));
    await store.getState().jumpTo(20);
    let s = store.getState();
    expect(fake.auditPage).toHaveBeenLastCalledWith({ limit: AUDIT_PAGE_SIZE, beforeSeq: 20 + JUMP_CONTEXT + 1 });
    expect(s.kind).toBeNull();
    expect(s.anchor).toBe(20);
    expect(s.entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 + JUMP_CONTEXT }, (_, i) => 20 + JUMP_CONTEXT - i));
    expect(s.hasOlder).toBe(false);
    await store.getState().load();
    s = store.getState();
    expect(s.anchor).toBeNull();
    expect(s.entries[0]!.seq).toBe(3 * AUDIT_PAGE_SIZE);
  });

  it('expands and folds rows by seq', () => {
    const store = createAuditStore(fakeTransport(0).transport);
    store.getState().toggle(7);
    expect(store.getState().expanded.has(7)).toBe(true);
    store.getState().toggle(7);
    expect(store.getState().expanded.has(7)).toBe(false);
  });
});
