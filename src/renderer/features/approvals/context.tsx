import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { ApprovalsState, ApprovalsStore } from './store';

const ApprovalsStoreContext = createContext<ApprovalsStore | null>(null);

export function ApprovalsStoreProvider({ store, children }: { store: ApprovalsStore; children: ReactNode }) {
  return <ApprovalsStoreContext.Provider value={store}>{children}</ApprovalsStoreContext.Provider>;
}

/** Subscribes a component to one slice of the approvals state. */
export function useApprovals<T>(selector: (state: ApprovalsState) => T): T {
  const store = useContext(ApprovalsStoreContext);
  if (!store) throw new Error('useApprovals must be used inside <ApprovalsStoreProvider>');
  return useStore(store, selector);
}
