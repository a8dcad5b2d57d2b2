import { useEffect, useState } from 'react';
import type { Health } from '../../shared/protocol';
import { ChatStoreProvider, ChatView, createChatStore } from '../features/chat';
import type { Transport } from '../transport';
import { AppHeader, type Connection } from './AppHeader';
import { ErrorBoundary } from './ErrorBoundary';

const HEALTH_POLL_MS = 15_000;

/** The shell: header with host, engine and connection; the chat below. Stores live as long as the window. */
export function App({ transport }: { transport: Transport }) {
  const [chatStore] = useState(() => createChatStore(transport));
  const [health, setHealth] = useState<Health | null>(null);
  const [connection, setConnection] = useState<Connection>('connecting');

  useEffect(() => {
    transport.session().then(
      (session) => chatStore.getState().setOperator(session.operator),
      (err: unknown) => console.warn('could not read the session; conversation history stays hidden', err),
    );
  }, [transport, chatStore]);

  useEffect(() => {
    let cancelled = false;
    const check = () =>
      transport.health().then(
        (h) => {
          if (cancelled) return;
          setHealth(h);
          setConnection(h.ok ? 'online' : 'offline');
        },
        () => {
          if (!cancelled) setConnection('offline');
        },
      );
    void check();
    const timer = window.setInterval(check, HEALTH_POLL_MS);
    return () => {
      cancelled = true;
      window.clearInterval(timer);
    };
  }, [transport]);

  return (
    <ErrorBoundary>
      <div className="app">
        <a className="skip-link" href="#composer-input">
          Skip to the message box
        </a>
        <AppHeader health={health} connection={connection} via={transport.kind} />
        <ChatStoreProvider store={chatStore}>
          <ChatView />
        </ChatStoreProvider>
      </div>
    </ErrorBoundary>
  );
}
