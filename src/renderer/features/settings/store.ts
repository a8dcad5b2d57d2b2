import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AddProviderRequest, ApiError, ProviderTestResult, ProviderView } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';

export type ConnectionTest = { state: 'running' } | ({ state: 'ok' } & Omit<ProviderTestResult, 'ok'>) | { state: 'failed'; error: ApiError };

export interface SettingsState {
  providers: ProviderView[] | null;
  loading: boolean;
  /** Loading or removing failed. */
  error: ApiError | null;
  tests: Record<string, ConnectionTest>;
  removing: string | null;
  adding: boolean;
  addError: ApiError | null;
  /** Said after a provider was added: the running agent picks it up after a restart. */
  added: { name: string; restartRequired: boolean } | null;

  load(): Promise<void>;
  test(name: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** Resolves true once the core accepted it (the key is then in the keychain, not here). */
  add(request: AddProviderRequest): Promise<boolean>;
  dismissError(): void;
  dismissAdded(): void;
}

export type SettingsStore = StoreApi<SettingsState>;

/** Provider settings: list, add (the key goes to the core once), test the connection, remove. */
export function createSettingsStore(transport: Transport): SettingsStore {
  return createStore<SettingsState>()((set, get) => ({
    providers: null,
    loading: false,
    error: null,
    tests: {},
    removing: null,
    adding: false,
    addError: null,
    added: null,

    async load() {
      set({ loading: true });
      try {
        const { providers } = await transport.listProviders();
        set({ providers, loading: false, error: null });
      } catch (err) {
        set({ loading: false, error: toApiError(err) });
      }
    },

    async test(name) {
      set((s) => ({ tests: { ...s.tests, [name]: { state: 'running' } } }));
      let result: ConnectionTest;
      try {
        const { models, latencyMs } = await transport.testProvider(name);
        result = { state: 'ok', models, latencyMs };
      } catch (err) {
        result = { state: 'failed', error: toApiError(err) };
      }
      set((s) => ({ tests: { ...s.tests, [name]: result } }));
    },

    async remove(name) {
      set({ removing: name, error: null });
      try {
        await transport.removeProvider(name);
        set((s) => {
          const { [name]: _dropped, ...tests } = s.tests;
          return { removing: null, tests, providers: s.providers?.filter((p) => p.name !== name) ?? null };
        });
        void get().load();
      } catch (err) {
        set({ removing: null, error: toApiError(err) });
      }
    },

    async add(request) {
      set({ adding: true, addError: null, added: null });
      try {
        const { added, restartRequired } = await transport.addProvider(request);
        set({ adding: false, added: { name: added, restartRequired } });
        void get().load();
        return true;
      } catch (err) {
        set({ adding: false, addError: toApiError(err) });
        return false;
      }
    },

    dismissError() {
      set({ error: null });
    },

    dismissAdded() {
      set({ added: null });
    },
  }));
}
