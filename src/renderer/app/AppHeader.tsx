import type { ReactNode } from 'react';
import type { Health } from '../../shared/protocol';
import { EngineBadge } from './components/EngineBadge';
import { ROUTE_HREF, type Route } from './route';

export type Connection = 'connecting' | 'online' | 'offline';

const CONNECTION_TEXT: Record<Connection, string> = { connecting: 'connecting…', online: 'connected', offline: 'disconnected' };

const PAGES: { route: Route; label: string }[] = [
  { route: 'chat', label: 'Chat' },
  { route: 'fleet', label: 'Fleet' },
  { route: 'alerts', label: 'Alerts' },
  { route: 'rules', label: 'Rules' },
  { route: 'usage', label: 'Usage' },
  { route: 'privacy', label: 'Privacy' },
  { route: 'mcp', label: 'MCP' },
  { route: 'audit', label: 'Audit' },
  { route: 'settings', label: 'Settings' },
];

export interface AppHeaderProps {
  health: Health | null;
  connection: Connection;
  via: 'ipc' | 'http';
  /** Operator sessions get the page tabs; a guest only chats. */
  route: Route | null;
  /** Marks the Usage tab when spend is near or over a budget. */
  budgetAlert?: 'warning' | 'exceeded' | null;
  /** The firing-alerts count shown on the Alerts tab. */
  alertsBadge?: ReactNode;
  /** Feature badges (pending approvals), shown before the status. */
  actions?: ReactNode;
}

export function AppHeader({ health, connection, via, route, budgetAlert = null, alertsBadge = null, actions }: AppHeaderProps) {
  return (
    <header className="app-header">
      <div className="header-start">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Fleetmind</span>
        </div>
        {route && (
          <nav className="header-nav" aria-label="Pages">
            {PAGES.map((page) => (
              <a key={page.route} href={ROUTE_HREF[page.route]} className="header-tab" aria-current={route === page.route ? 'page' : undefined}>
                {page.label}
                {page.route === 'alerts' && alertsBadge}
                {page.route === 'usage' && budgetAlert && (
                  <span className={`tab-dot tab-dot-${budgetAlert}`} title={budgetAlert === 'exceeded' ? 'Budget exceeded' : 'Budget warning'}>
                    <span className="sr-only">{budgetAlert === 'exceeded' ? ' (budget exceeded)' : ' (budget warning)'}</span>
                  </span>
                )}
              </a>
            ))}
          </nav>
        )}
      </div>
      <div className="header-status">
        {actions}
        {health && (
          <span className="header-host" title={`Data: ${health.dataDir}`}>
            <span className="muted">host</span> <strong>{health.hostname}</strong>
          </span>
        )}
        {health && <EngineBadge engine={health.engine} />}
        <span className={`connection connection-${connection}`} role="status" title={via === 'ipc' ? 'Desktop app (in-process core)' : 'Local HTTP API'}>
          <span className="connection-dot" aria-hidden="true" />
          {CONNECTION_TEXT[connection]}
        </span>
        {health && <span className="header-version muted">v{health.version}</span>}
      </div>
    </header>
  );
}
