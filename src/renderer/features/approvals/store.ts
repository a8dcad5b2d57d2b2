import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, ApprovalDecisionRequest, ApprovalDecisionResponse, ApprovalView, PendingApproval } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';

export type ApprovalSettlement = 'approved' | 'denied' | 'expired';

export interface ApprovalsHooks {
  /** An approval left the pending state in this window (decided here, or seen expiring). */
  onSettled?(id: string, settlement: ApprovalSettlement, reason: string | null): void;
  /** The operator wants to see the conversation that asked (the dialog closes; the request stays pending). */
  onShowConversation?(conversationId: string): void;
}

export interface ApprovalsState {
  /** Deciding needs the operator session; without it the feature stays silent. */
  enabled: boolean;
  /** Pending approvals, oldest first. */
  pending: ApprovalView[];
  /** Tags per inventory host, for "remember for every host with tag T". */
  hostTags: Record<string, string[]>;
  open: boolean;
  currentId: string | null;
  /** The decision being sent (approving waits for the command to run on every host). */
  deciding: { id: string; decision: ApprovalDecisionRequest['decision'] } | null;
  /** The last decision's outcome, shown briefly with per-host results. */
  outcome: ApprovalDecisionResponse | null;
  error: ApiError | null;

  setEnabled(enabled: boolean): void;
  refresh(): Promise<void>;
  /** Approvals a chat turn or live event asked for; the list is fetched again for the full view. */
  requested(approvals: readonly PendingApproval[]): void;
  openDialog(id?: string): void;
  close(): void;
  step(delta: 1 | -1): void;
  decide(id: string, request: ApprovalDecisionRequest): Promise<boolean>;
  markExpired(id: string): void;
  dismissOutcome(): void;
  dismissError(): void;
  showConversation(conversationId: string): void;
}

export type ApprovalsStore = StoreApi<ApprovalsState>;

const byRequestedAt = (a: ApprovalView, b: ApprovalView) => a.requestedAt.localeCompare(b.requestedAt);

/** Hosts an approval names whose tags we do not know yet (added to the inventory since the last look). */
function unknownHosts(pending: readonly ApprovalView[], hostTags: Record<string, string[]>): boolean {
  return pending.some((a) => a.hosts.some((h) => !(h in hostTags)));
}

/**
 * Pending approvals and the dialog that decides them. The server is the source of truth:
 * every hint (a chat event, window focus, a timer) fetches the list again. The dialog
 * opens by itself for approvals it has not shown yet; closed with Esc, it stays closed
 * until reopened from the header badge or a new request arrives.
 */
export function createApprovalsStore(transport: Transport, hooks: ApprovalsHooks = {}): ApprovalsStore {
  // Ids the dialog has already been opened for, so closing it is respected.
  const announced = new Set<string>();
  let refreshes = 0;

  return createStore<ApprovalsState>()((set, get) => {
    const loadHostTags = async () => {
      try {
        const { hosts } = await transport.listHosts();
        set({ hostTags: Object.fromEntries(hosts.map((h) => [h.name, h.tags])) });
      } catch (err) {
        // Only "remember for a tag" depends on it; the dialog works without.
        console.warn('could not list hosts for approval tags', err);
      }
    };

    return {
      enabled: false,
      pending: [],
      hostTags: {},
      open: false,
      currentId: null,
      deciding: null,
      outcome: null,
      error: null,

      setEnabled(enabled) {
        set({ enabled });
        if (enabled) void get().refresh();
        else set({ pending: [], open: false, currentId: null });
      },

      async refresh() {
        if (!get().enabled) return;
        const seq = ++refreshes;
        let approvals: ApprovalView[];
        try {
          ({ approvals } = await transport.listApprovals());
        } catch (err) {
          const error = toApiError(err);
          // A lost session means no deciding here; anything else is worth showing in the dialog.
          if (error.code === 'unauthorized') set({ enabled: false, pending: [], open: false });
          else if (get().open) set({ error });
          return;
        }
        if (seq !== refreshes) return;
        const pending = approvals.filter((a) => a.status === 'pending').sort(byRequestedAt);
        const fresh = pending.filter((a) => !announced.has(a.id));
        for (const a of fresh) announced.add(a.id);
        const state = get();
        const stillShown = pending.some((a) => a.id === state.currentId);
        let { open, currentId } = state;
        if (fresh.length > 0 && !open) {
          open = true;
          currentId = fresh[0]!.id;
        } else if (!stillShown) {
          currentId = pending[0]?.id ?? null;
          // Decided elsewhere (CLI, another window) and nothing left: nothing to show.
          if (!currentId && !state.outcome && !state.deciding && !state.error) open = false;
        }
        set({ pending, open, currentId });
        if (unknownHosts(pending, get().hostTags)) void loadHostTags();
      },

      requested(approvals) {
        if (!get().enabled || approvals.length === 0) return;
        void get().refresh();
      },

      openDialog(id) {
        const { pending, currentId } = get();
        const target = id && pending.some((a) => a.id === id) ? id : (currentId ?? pending[0]?.id ?? null);
        if (id && !pending.some((a) => a.id === id)) void get().refresh();
        set({ open: true, currentId: target, error: null });
      },

      close() {
        set({ open: false, error: null, outcome: null });
      },

      step(delta) {
        const { pending, currentId } = get();
        if (pending.length < 2) return;
        const index = Math.max(0, pending.findIndex((a) => a.id === currentId));
        const next = pending[(index + delta + pending.length) % pending.length]!;
        set({ currentId: next.id, error: null });
      },

      async decide(id, request) {
        if (get().deciding) return false;
        set({ deciding: { id, decision: request.decision }, error: null });
        try {
          const outcome = await transport.decideApproval(id, request);
          set((state) => ({
            deciding: null,
            outcome,
            pending: state.pending.filter((a) => a.id !== id),
          }));
          hooks.onSettled?.(id, request.decision === 'approve' ? 'approved' : 'denied', outcome.approval.decisionReason ?? request.reason ?? null);
          return true;
        } catch (err) {
          const error = toApiError(err);
          set({ deciding: null, error });
          // Already decided or expired: the list has moved on; show what is left.
          if (error.code === 'conflict' || error.code === 'not_found') void get().refresh();
          return false;
        }
      },

      markExpired(id) {
        hooks.onSettled?.(id, 'expired', null);
      },

      dismissOutcome() {
        const { pending } = get();
        set({ outcome: null, currentId: pending[0]?.id ?? null, open: pending.length > 0 });
      },

      dismissError() {
        set({ error: null });
      },

      showConversation(conversationId) {
        set({ open: false, error: null });
        hooks.onShowConversation?.(conversationId);
      },
    };
  });
}
