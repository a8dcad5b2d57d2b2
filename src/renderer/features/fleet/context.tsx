import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { FleetState, FleetStore } from './store';

const FleetStoreContext = createContext<FleetStore | null>(null);

export function FleetStoreProvider({ store, children }: { store: FleetStore; children: ReactNode }) {
  return <FleetStoreContext.Provider value={store}>{children}</FleetStoreContext.Provider>;
}

/** Subscribes a component to one slice of the fleet state. */
export function useFleet<T>(selector: (state: FleetState) => T): T {
  const store = useContext(FleetStoreContext);
  if (!store) throw new Error('useFleet must be used inside <FleetStoreProvider>');
  return useStore(store, selector);
}
