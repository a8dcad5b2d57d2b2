import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AuditState, AuditStore } from './store';

const AuditStoreContext = createContext<AuditStore | null>(null);

export function AuditStoreProvider({ store, children }: { store: AuditStore; children: ReactNode }) {
  return <AuditStoreContext.Provider value={store}>{children}</AuditStoreContext.Provider>;
}

/** Subscribes a component to one slice of the audit state. */
export function useAudit<T>(selector: (state: AuditState) => T): T {
  const store = useContext(AuditStoreContext);
  if (!store) throw new Error('useAudit must be used inside <AuditStoreProvider>');
  return useStore(store, selector);
}
