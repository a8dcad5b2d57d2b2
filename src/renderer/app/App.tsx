import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { Health } from '../../shared/protocol';
import { ApprovalDialog, ApprovalsBadge, ApprovalsStoreProvider, createApprovalsStore, type ApprovalsStore } from '../features/approvals';
import { AuditStoreProvider, AuditView, createAuditStore } from '../features/audit';
import { ChatStoreProvider, ChatView, createChatStore } from '../features/chat';
import { createFleetStore, FleetStoreProvider, FleetView } from '../features/fleet';
import { createRulesStore, RulesStoreProvider, RulesView } from '../features/rules';
import { createSettingsStore, SettingsStoreProvider, SettingsView } from '../features/settings';
import { BudgetBanner, createUsageStore, UsageStoreProvider, UsageView } from '../features/usage';
import { createPrivacyStore, PrivacyView } from '../features/privacy';
import { createMcpStore, McpView } from '../features/mcp';
import { AlertsBadge, AlertsView, createAlertsStore } from '../features/alerts';
import type { Transport } from '../transport';
import { AppHeader, type Connection } from './AppHeader';
import { ErrorBoundary } from './ErrorBoundary';
import { ROUTE_HREF, useRoute } from './route';

const HEALTH_POLL_MS = 15_000;
/** Approvals can come from other faces (CLI, another window); look again now and then. */
const APPROVALS_POLL_MS = 15_000;
/** Alerts arrive from Alertmanager and the evaluator at any time: the badge looks again this often. */
const ALERTS_POLL_MS = 15_000;

/**
 * Composes the features (which never import each other): chat tells approvals what it
 * saw and asks it to open; approvals tells chat what became of a request; a finished
 * turn refreshes usage. The stores live as long as the window.
 */
function createStores(transport: Transport) {
  let approvals: ApprovalsStore | null = null;
  let operator = false;
  const usage = createUsageStore(transport);
  const chat = createChatStore(transport, {
    onApprovalsRequested: (list) => approvals?.getState().requested(list),
    onReviewApproval: (id) => approvals?.getState().openDialog(id),
    onTurnFinished: () => {
      if (operator) void usage.getState().load();
    },
  });
  approvals = createApprovalsStore(transport, {
    onSettled: (id, settlement, reason) => chat.getState().markApproval(id, settlement, reason),
    onShowConversation: (conversationId) => {
      window.location.hash = ROUTE_HREF.chat;
      void chat.getState().openConversation(conversationId);
    },
  });
  const setOperator = (value: boolean) => {
    operator = value;
    chat.getState().setOperator(value);
    approvals?.getState().setEnabled(value);
    if (value) void usage.getState().load();
  };
  return { chat, approvals, usage, settings: createSettingsStore(transport), audit: createAuditStore(transport), privacy: createPrivacyStore(transport), mcp: createMcpStore(transport), rules: createRulesStore(transport), fleet: createFleetStore(transport), setOperator };
}

/** The shell: header with pages, host, engine and connection; the page below; the approval dialog over it. */
export function App({ transport }: { transport: Transport }) {
  const [stores] = useState(() => createStores(transport));
  const [alerts] = useState(() => createAlertsStore(transport));
  const [health, setHealth] = useState<Health | null>(null);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [operator, setOperator] = useState(false);
  const requestedRoute = useRoute();
  // Fleet, rules, usage, audit and settings are operator pages; a guest session sees the chat whatever the URL says.
  const route = operator ? requestedRoute : 'chat';
  const budgetState = useStore(stores.usage, (s) => s.report?.budget.state ?? 'ok');

  useEffect(() => {
    transport.session().then(
      (session) => {
        setOperator(session.operator);
        stores.setOperator(session.operator);
      },
      (err: unknown) => console.warn('could not read the session; conversation history stays hidden', err),
    );
  }, [transport, stores]);

  useEffect(() => {
    if (!operator) return;
    const refresh = () => void stores.approvals.getState().refresh();
    const timer = window.setInterval(refresh, APPROVALS_POLL_MS);
    window.addEventListener('focus', refresh);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener('focus', refresh);
    };
  }, [operator, stores]);

  useEffect(() => {
    if (!operator) return;
    const refresh = () => void alerts.getState().load();
    refresh();
    const timer = window.setInterval(refresh, ALERTS_POLL_MS);
    return () => window.clearInterval(timer);
  }, [operator, alerts]);

  useEffect(() => () => stores.chat.getState().dispose(), [stores]);

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
      <ApprovalsStoreProvider store={stores.approvals}>
        <UsageStoreProvider store={stores.usage}>
          <div className="app">
            <a className="skip-link" href="#composer-input">
              Skip to the message box
            </a>
            <AppHeader
              health={health}
              connection={connection}
              via={transport.kind}
              route={operator ? route : null}
              budgetAlert={budgetState === 'ok' ? null : budgetState}
              alertsBadge={<AlertsBadge store={alerts} />}
              actions={<ApprovalsBadge />}
            />
            {operator && route === 'chat' && <BudgetBanner compact />}
            <div className="app-page" hidden={route !== 'chat'}>
              <ChatStoreProvider store={stores.chat}>
                <ChatView />
              </ChatStoreProvider>
            </div>
            {route === 'fleet' && (
              <div className="app-page">
                <FleetStoreProvider store={stores.fleet}>
                  <FleetView />
                </FleetStoreProvider>
              </div>
            )}
            {route === 'rules' && (
              <div className="app-page">
                <RulesStoreProvider store={stores.rules}>
                  <RulesView />
                </RulesStoreProvider>
              </div>
            )}
            {route === 'usage' && (
              <div className="app-page">
                <UsageView />
              </div>
            )}
            {route === 'alerts' && (
              <div className="app-page">
                <AlertsView store={alerts} />
              </div>
            )}
            {route === 'privacy' && (
              <div className="app-page">
                <PrivacyView store={stores.privacy} />
              </div>
            )}
            {route === 'mcp' && (
              <div className="app-page">
                <McpView store={stores.mcp} />
              </div>
            )}
            {route === 'audit' && (
              <div className="app-page">
                <AuditStoreProvider store={stores.audit}>
                  <AuditView />
                </AuditStoreProvider>
              </div>
            )}
            {route === 'settings' && (
              <div className="app-page">
                <SettingsStoreProvider store={stores.settings}>
                  <SettingsView />
                </SettingsStoreProvider>
              </div>
            )}
          </div>
          <ApprovalDialog />
        </UsageStoreProvider>
      </ApprovalsStoreProvider>
    </ErrorBoundary>
  );
}
