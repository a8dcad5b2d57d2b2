import { useEffect, useState } from 'react';
import type { Host } from '../../../../shared/protocol';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import { useFleet } from '../context';
import { formatAgo, formatBytes, HEALTH_TEXT, hostHealth } from '../charts';
import { HostDetail } from './HostDetail';
import { HostKeyPanel } from './HostKeyPanel';
import { AddHostForm, ImportHostsForm } from './InventoryForms';

/** The list follows the collectors (15 s by default) without a reload. */
const POLL_MS = 15_000;

function HostRow({ host }: { host: Host }) {
  const collector = useFleet((s) => s.collectors[host.name]);
  const current = useFleet((s) => s.current[host.name]);
  const readAt = useFleet((s) => s.readAt);
  const select = useFleet((s) => s.select);
  const checkKey = useFleet((s) => s.checkKey);
  const health = hostHealth(collector);
  const memoryRatio = current?.memoryUsed != null && current.memoryTotal ? current.memoryUsed / current.memoryTotal : null;
  return (
    <tr className={`host-row host-row-${health}`} data-host={host.name} data-health={health}>
      <th scope="row" className="host-name">
        <button type="button" className="link-button" onClick={() => void select(host.name)}>
          <EscapedText text={host.name} />
        </button>
        <div className="muted host-address">
          {host.transport === 'local' ? (
            'this machine'
          ) : (
            <EscapedText text={`${host.user ? `${host.user}@` : ''}${host.address}${host.port !== 22 ? `:${host.port}` : ''}`} />
          )}
        </div>
      </th>
      <td className="host-tags">
        {host.tags.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          host.tags.map((t) => (
            <span key={t} className="badge badge-neutral host-tag">
              <EscapedText text={t} />
            </span>
          ))
        )}
      </td>
      <td className="host-health">
        <span className={`health health-${health}`}>{HEALTH_TEXT[health]}</span>
        {collector?.lastError && health !== 'ok' && (
          <div className="host-error" title={collector.lastError.message}>
            <code>{collector.lastError.code}</code> <EscapedText text={collector.lastError.message} />
          </div>
        )}
      </td>
      <td className="host-cpu num">{current?.cpuBusy != null ? `${(current.cpuBusy * 100).toFixed(0)}%` : '—'}</td>
      <td className="host-memory num">
        {current?.memoryUsed != null ? (
          <>
            {formatBytes(current.memoryUsed)}
            {memoryRatio !== null && <span className="muted"> ({(memoryRatio * 100).toFixed(0)}%)</span>}
          </>
        ) : (
          '—'
        )}
      </td>
      <td className="host-load num">{current?.load1 != null ? current.load1.toFixed(2) : '—'}</td>
      <td className="host-last-seen">
        {collector?.lastSuccessAt ? <time dateTime={collector.lastSuccessAt}>{formatAgo(collector.lastSuccessAt, readAt)}</time> : <span className="muted">never</span>}
      </td>
      <td className="host-actions">
        <button type="button" className="button button-secondary button-small" onClick={() => void select(host.name)} aria-label={`Charts of ${host.name}`}>
          Charts
        </button>
        {host.transport === 'ssh' && (
          <button type="button" className="button button-secondary button-small" onClick={() => void checkKey(host.name)} aria-label={`Trust key of ${host.name}`}>
            Trust key
          </button>
        )}
      </td>
    </tr>
  );
}

/** Fleet: every host with its tags, health at a glance and last seen; add, import, trust; a host's charts. */
export function FleetView() {
  const hosts = useFleet((s) => s.hosts);
  const loaded = useFleet((s) => s.loaded);
  const loading = useFleet((s) => s.loading);
  const error = useFleet((s) => s.error);
  const detail = useFleet((s) => s.detail);
  const load = useFleet((s) => s.load);
  const dismissError = useFleet((s) => s.dismissError);
  const [form, setForm] = useState<'add' | 'import' | null>(null);

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), POLL_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  return (
    <main className="page" aria-labelledby="fleet-title">
      <div className="page-inner page-inner-wide">
        <header className="page-header">
          <h1 id="fleet-title" className="page-title">
            Fleet
          </h1>
          <div className="fleet-toolbar">
            <button type="button" className="button button-secondary button-small" onClick={() => setForm(form === 'add' ? null : 'add')} aria-expanded={form === 'add'}>
              Add host
            </button>
            <button type="button" className="button button-secondary button-small" onClick={() => setForm(form === 'import' ? null : 'import')} aria-expanded={form === 'import'}>
              Import
            </button>
            <button type="button" className="button button-secondary button-small" onClick={() => void load()} disabled={loading}>
              {loading ? <Spinner size={12} /> : null} Refresh
            </button>
          </div>
        </header>
        {error && <ErrorMessage error={error} onDismiss={dismissError} title="Could not read the fleet" />}
        {form === 'add' && <AddHostForm onDone={() => setForm(null)} />}
        {form === 'import' && <ImportHostsForm onDone={() => setForm(null)} />}
        <HostKeyPanel />
        {detail && <HostDetail />}
        {loaded && (
          <section className="panel panel-flush" aria-labelledby="fleet-hosts-title">
            <div className="panel-pad">
              <h2 id="fleet-hosts-title" className="section-title">
                Hosts
              </h2>
            </div>
            <div className="table-scroll">
              <table className="data-table fleet-table" aria-label="Hosts" aria-busy={loading}>
                <thead>
                  <tr>
                    <th scope="col">Host</th>
                    <th scope="col">Tags</th>
                    <th scope="col">Health</th>
                    <th scope="col" className="num">
                      CPU
                    </th>
                    <th scope="col" className="num">
                      Memory
                    </th>
                    <th scope="col" className="num">
                      Load
                    </th>
                    <th scope="col">Last seen</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {hosts.map((host) => (
                    <HostRow key={host.name} host={host} />
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        )}
        {!loaded && loading && (
          <p className="loading" role="status">
            <Spinner /> Reading the fleet…
          </p>
        )}
      </div>
    </main>
  );
}
