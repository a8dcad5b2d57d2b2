import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, RememberedRuleView } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';

export interface RulesState {
  /** Remembered approval rules, newest first. */
  rules: RememberedRuleView[];
  /** The list has arrived at least once ("none" differs from "not loaded yet"). */
  loaded: boolean;
  loading: boolean;
  /** The rule being revoked, while the request runs. */
  revoking: string | null;
  /** The last rule revoked from this page, for the status line. */
  revoked: RememberedRuleView | null;
  error: ApiError | null;

  /** (Re)reads the rules: other faces (CLI, API, another window) add and revoke them too. */
  load(): Promise<void>;
  /** Revokes a rule; resolves true when the server revoked it. The list is read again either way. */
  revoke(id: string): Promise<boolean>;
  dismissError(): void;
}

export type RulesStore = StoreApi<RulesState>;

const newestFirst = (a: RememberedRuleView, b: RememberedRuleView) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id.localeCompare(b.id));

/** The operator's remembered approval rules ("approve and remember"), with revoking. */
export function createRulesStore(transport: Transport): RulesStore {
  // Bumped by every load, so an older answer arriving late does not bring back a revoked rule.
  let generation = 0;

  return createStore<RulesState>()((set, get) => ({
    rules: [],
    loaded: false,
    loading: false,
    revoking: null,
    revoked: null,
    error: null,

    async load() {
      const current = ++generation;
      set({ loading: true });
      try {
        const { rules } = await transport.listRules();
        if (current !== generation) return;
        set({ rules: [...rules].sort(newestFirst), loaded: true, loading: false, error: null });
      } catch (err) {
        if (current === generation) set({ loading: false, error: toApiError(err) });
      }
    },

    async revoke(id) {
      if (get().revoking) return false;
      set({ revoking: id, error: null });
      try {
        const { revoked } = await transport.revokeRule(id);
        // Gone at once, whatever the reload below says (or if it fails).
        generation++;
        set((s) => ({ rules: s.rules.filter((r) => r.id !== revoked.id), revoking: null, revoked, loading: false }));
        void get().load();
        return true;
      } catch (err) {
        const error = toApiError(err);
        // Revoked meanwhile elsewhere (not_found), or the list is stale: show what the server has now, and why.
        await get().load();
        set({ revoking: null, error });
        return false;
      }
    },

    dismissError() {
      set({ error: null });
    },
  }));
}
