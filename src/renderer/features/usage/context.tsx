import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { UsageState, UsageStore } from './store';

const UsageStoreContext = createContext<UsageStore | null>(null);

export function UsageStoreProvider({ store, children }: { store: UsageStore; children: ReactNode }) {
  return <UsageStoreContext.Provider value={store}>{children}</UsageStoreContext.Provider>;
}

/** Subscribes a component to one slice of the usage state. */
export function useUsage<T>(selector: (state: UsageState) => T): T {
  const store = useContext(UsageStoreContext);
  if (!store) throw new Error('useUsage must be used inside <UsageStoreProvider>');
  return useStore(store, selector);
}
