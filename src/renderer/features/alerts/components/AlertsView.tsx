import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { AlertState, AlertView } from '../../../../shared/protocol';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import { groupAlerts, type AlertsStore } from '../store';

const FILTERS: { value: AlertState | 'all'; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'firing', label: 'Firing' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'silenced', label: 'Silenced' },
  { value: 'resolved', label: 'Resolved' },
];

const time = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 19) : '–');

/**
 * Alerts grouped as Alertmanager grouped them (or by source and name), with severity, state,
 * and the interpretation: likely cause and next steps. Labels, annotations and the
 * interpretation are untrusted text and are rendered as text only (React escapes them), with
 * control, invisible and bidi characters shown as marked escapes (EscapedText): an RLO in a
 * label, or in a log line the interpretation quotes, must not make the page read differently.
 */
export function AlertsView({ store }: { store: AlertsStore }) {
  const list = useStore(store, (s) => s.list);
  const filter = useStore(store, (s) => s.filter);
  const loading = useStore(store, (s) => s.loading);
  const error = useStore(store, (s) => s.error);
  const load = useStore(store, (s) => s.load);
  const setFilter = useStore(store, (s) => s.setFilter);
  const [open, setOpen] = useState<string | null>(null);

  useEffect(() => {
    void load();
  }, [load]);

  const groups = list ? groupAlerts(list.alerts) : [];
  return (
    <section className="page alerts-page" aria-labelledby="alerts-title">
      <header className="page-header">
        <h2 id="alerts-title">Alerts</h2>
        <label>
          <span className="sr-only">Show</span>
          <select value={filter} onChange={(e) => setFilter(e.target.value as AlertState | 'all')} aria-label="Which alerts to show">
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void load()} disabled={loading}>
          Refresh
        </button>
        {loading && <Spinner />}
      </header>
      {list && (
        <p className="muted alerts-counts">
          {list.counts.firing} firing, {list.counts.acknowledged} acknowledged, {list.counts.silenced} silenced, {list.counts.resolved} resolved. Alertmanager posts to <code>/api/alerts</code> with a token
          from <code>fleetmind token create --scope alerts:write</code>.
        </p>
      )}
      {error && <ErrorMessage error={error} />}
      {list && list.alerts.length === 0 && <p className="empty">No alerts.</p>}
      {groups.map((group) => (
        <div key={group.key} className="alert-group">
          <h3 className="alert-group-title mono" title="group key">
            <EscapedText text={group.key} /> <span className="muted">({group.alerts.length})</span>
          </h3>
          <ul className="alert-list">
            {group.alerts.map((alert) => (
              <AlertRow key={alert.id} alert={alert} store={store} open={open === alert.id} onToggle={() => setOpen(open === alert.id ? null : alert.id)} />
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

function AlertRow({ alert, store, open, onToggle }: { alert: AlertView; store: AlertsStore; open: boolean; onToggle: () => void }) {
  const busy = useStore(store, (s) => s.busy.has(alert.id));
  const acknowledge = useStore(store, (s) => s.acknowledge);
  const silence = useStore(store, (s) => s.silence);
  const interpret = useStore(store, (s) => s.interpret);
  const interpretation = alert.interpretation;
  return (
    <li className={`alert-item alert-${alert.severity} alert-state-${alert.state}`} data-alert-id={alert.id}>
      <button type="button" className="alert-summary" aria-expanded={open} onClick={onToggle}>
        <span className="alert-severity">{alert.severity}</span>
        <span className="alert-state">{alert.state}</span>
        <strong className="alert-name">
          <EscapedText text={alert.name} />
        </strong>
        <span className="alert-host">
          <EscapedText text={alert.host ?? alert.labels.instance ?? '–'} />
        </span>
        <span className="alert-text">
          <EscapedText text={alert.summary} />
        </span>
        <time className="muted" dateTime={alert.startsAt}>
          {time(alert.startsAt)}
        </time>
        {alert.notifications > 1 && <span className="muted">×{alert.notifications}</span>}
      </button>
      {open && (
        <div className="alert-details">
          <div className="alert-actions">
            {alert.state === 'firing' && (
              <button type="button" disabled={busy} onClick={() => void acknowledge(alert.id)}>
                Acknowledge
              </button>
            )}
            {(alert.state === 'firing' || alert.state === 'acknowledged') && (
              <button type="button" disabled={busy} onClick={() => void silence(alert, 120)}>
                Silence 2 h
              </button>
            )}
            <button type="button" disabled={busy} onClick={() => void interpret(alert.id)}>
              Explain again
            </button>
            {busy && <Spinner />}
          </div>
          <h4>Interpretation</h4>
          {interpretation ? (
            <div className={`alert-interpretation interpretation-${interpretation.status}`}>
              <p className="muted">
                {interpretation.status}
                {interpretation.engine ? ` · ${interpretation.engine === 'offline' ? 'offline engine' : interpretation.engine}` : ''} · {time(interpretation.at)}
              </p>
              <pre className="alert-interpretation-text">
                <EscapedText text={interpretation.text} multiline />
              </pre>
              {interpretation.context.length > 0 && (
                <ul className="alert-context">
                  {interpretation.context.map((c, i) => (
                    <li key={i} className={c.ok ? '' : 'muted'}>
                      <strong>{c.source}</strong>: <EscapedText text={c.summary} />
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ) : (
            <p className="muted">Not interpreted.</p>
          )}
          <h4>Labels</h4>
          <dl className="alert-labels">
            {Object.entries(alert.labels).map(([k, v]) => (
              <div key={k}>
                <dt className="mono">
                  <EscapedText text={k} />
                </dt>
                <dd className="mono">
                  <EscapedText text={v} />
                </dd>
              </div>
            ))}
          </dl>
          {Object.keys(alert.annotations).length > 0 && (
            <>
              <h4>Annotations</h4>
              <dl className="alert-labels">
                {Object.entries(alert.annotations).map(([k, v]) => (
                  <div key={k}>
                    <dt className="mono">
                      <EscapedText text={k} />
                    </dt>
                    <dd>
                      <EscapedText text={v} multiline />
                    </dd>
                  </div>
                ))}
              </dl>
            </>
          )}
          <p className="muted">
            Source {alert.source}
            {alert.resolvedAt ? ` · resolved ${time(alert.resolvedAt)}` : ''}
            {alert.acknowledgedBy ? ` · acknowledged by ${alert.acknowledgedBy}` : ''}
            {alert.predictedAt ? ` · predicted for ${time(alert.predictedAt)}` : ''}
            {alert.incident ? ` · incident ${alert.incident}` : ''}
          </p>
        </div>
      )}
    </li>
  );
}
