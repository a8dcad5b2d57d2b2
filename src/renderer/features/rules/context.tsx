import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { RulesState, RulesStore } from './store';

const RulesStoreContext = createContext<RulesStore | null>(null);

export function RulesStoreProvider({ store, children }: { store: RulesStore; children: ReactNode }) {
  return <RulesStoreContext.Provider value={store}>{children}</RulesStoreContext.Provider>;
}

/** Subscribes a component to one slice of the rules state. */
export function useRules<T>(selector: (state: RulesState) => T): T {
  const store = useContext(RulesStoreContext);
  if (!store) throw new Error('useRules must be used inside <RulesStoreProvider>');
  return useStore(store, selector);
}
