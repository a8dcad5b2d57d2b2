import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { ChatState, ChatStore } from './store';

const ChatStoreContext = createContext<ChatStore | null>(null);

export function ChatStoreProvider({ store, children }: { store: ChatStore; children: ReactNode }) {
  return <ChatStoreContext.Provider value={store}>{children}</ChatStoreContext.Provider>;
}

/** Subscribes a component to one slice of the chat state. */
export function useChat<T>(selector: (state: ChatState) => T): T {
  const store = useContext(ChatStoreContext);
  if (!store) throw new Error('useChat must be used inside <ChatStoreProvider>');
  return useStore(store, selector);
}
