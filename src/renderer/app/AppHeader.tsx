import type { Health } from '../../shared/protocol';
import { EngineBadge } from './components/EngineBadge';

export type Connection = 'connecting' | 'online' | 'offline';

const CONNECTION_TEXT: Record<Connection, string> = { connecting: 'connecting…', online: 'connected', offline: 'disconnected' };

export function AppHeader({ health, connection, via }: { health: Health | null; connection: Connection; via: 'ipc' | 'http' }) {
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">Fleetmind</span>
      </div>
      <div className="header-status">
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
