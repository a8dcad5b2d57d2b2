import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, AuditEntryView, AuditQuery, AuditVerify } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';
import type { AuditKind } from './format';

/** Entries per request: a screenful or two, and cheap for the server to list. */
export const AUDIT_PAGE_SIZE = 50;
/** Newer rows shown above a row jumped to, so it is seen in its context. */
export const JUMP_CONTEXT = 5;

export interface AuditState {
  /** Only entries of this kind; null for all. */
  kind: AuditKind | null;
  /** Newest first, as the server pages them; older pages are appended. */
  entries: AuditEntryView[];
  /** The whole chain's verification from the latest answer (a filter never narrows it). */
  verify: AuditVerify | null;
  /** When that verification arrived, so the banner can say how fresh it is. */
  checkedAt: string | null;
  /** The last page was full, so older entries may exist. */
  hasOlder: boolean;
  /** The first page has arrived at least once ("empty" differs from "not loaded yet"). */
  loaded: boolean;
  loading: boolean;
  loadingOlder: boolean;
  error: ApiError | null;
  /**
   * Set after jumping to a row (the first broken one may be far down a long log): the
   * table then starts a few rows above it instead of at the newest entry.
   */
  anchor: number | null;
  /** Rows whose full data is shown. Seqs are unique in the log, so this survives filters and paging. */
  expanded: ReadonlySet<number>;

  setKind(kind: AuditKind | null): void;
  /** (Re)loads the newest page and verifies the chain again. */
  load(): Promise<void>;
  /** Shows the log from around one row (all kinds), with older pages below it as usual. */
  jumpTo(seq: number): Promise<void>;
  /** Appends the page before the oldest entry shown; resolves with how many entries it added. */
  loadOlder(): Promise<number>;
  toggle(seq: number): void;
  dismissError(): void;
}

export type AuditStore = StoreApi<AuditState>;

/** The audit log, newest first, paged backwards with beforeSeq, with the chain's verification. */
export function createAuditStore(transport: Transport, now: () => Date = () => new Date()): AuditStore {
  // Bumped by every fresh load: answers to older requests (another filter, an earlier
  // "load older") must not mix rows of different queries into the table.
  let generation = 0;
  const query = (kind: AuditKind | null, beforeSeq?: number): AuditQuery => ({
    limit: AUDIT_PAGE_SIZE,
    ...(kind ? { kind } : {}),
    ...(beforeSeq !== undefined ? { beforeSeq } : {}),
  });

  return createStore<AuditState>()((set, get) => {
    /** The first page, newest first or from just above `anchor`; replaces whatever was shown. */
    const fetchFirst = async (kind: AuditKind | null, anchor: number | null): Promise<void> => {
      const current = ++generation;
      // A "load older" still in flight belongs to the previous generation and will be dropped.
      set({ loading: true, loadingOlder: false });
      try {
        const page = await transport.auditPage(query(kind, anchor === null ? undefined : anchor + JUMP_CONTEXT + 1));
        if (current !== generation) return;
        set({
          entries: page.entries,
          verify: page.verify,
          checkedAt: now().toISOString(),
          hasOlder: page.entries.length >= AUDIT_PAGE_SIZE,
          anchor,
          loaded: true,
          loading: false,
          error: null,
        });
      } catch (err) {
        if (current === generation) set({ loading: false, error: toApiError(err) });
      }
    };

    return {
      kind: null,
      entries: [],
      verify: null,
      checkedAt: null,
      hasOlder: false,
      loaded: false,
      loading: false,
      loadingOlder: false,
      error: null,
      anchor: null,
      expanded: new Set(),

      setKind(kind) {
        if (kind === get().kind) return;
        set({ kind });
        void get().load();
      },

      load() {
        return fetchFirst(get().kind, null);
      },

      jumpTo(seq) {
        // The broken row may be of any kind: a filter that hides it would defeat the jump.
        set({ kind: null });
        return fetchFirst(null, seq);
      },

      async loadOlder() {
        const { entries, hasOlder, loading, loadingOlder, kind } = get();
        if (!hasOlder || loading || loadingOlder || entries.length === 0) return 0;
        const oldest = Math.min(...entries.map((e) => e.seq));
        if (oldest <= 1) {
          set({ hasOlder: false });
          return 0;
        }
        const current = generation;
        set({ loadingOlder: true });
        try {
          const page = await transport.auditPage(query(kind, oldest));
          if (current !== generation) return 0;
          const older = page.entries.filter((e) => e.seq < oldest);
          set((s) => ({
            entries: [...s.entries, ...older],
            // Every answer verifies the whole chain again: show the newest verdict.
            verify: page.verify,
            checkedAt: now().toISOString(),
            hasOlder: page.entries.length >= AUDIT_PAGE_SIZE && older.length > 0,
            loadingOlder: false,
            error: null,
          }));
          return older.length;
        } catch (err) {
          if (current === generation) set({ loadingOlder: false, error: toApiError(err) });
          return 0;
        }
      },

      toggle(seq) {
        set((s) => {
          const expanded = new Set(s.expanded);
          if (!expanded.delete(seq)) expanded.add(seq);
          return { expanded };
        });
      },

      dismissError() {
        set({ error: null });
      },
    };
  });
}
