import { useEffect, useId, useRef, type KeyboardEvent } from 'react';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { Spinner } from '../../../app/components/Spinner';
import { useAudit } from '../context';
import { KIND_LABEL, type AuditKind } from '../format';
import { AuditRow } from './AuditRow';
import { ChainBanner } from './ChainBanner';

const KINDS = Object.keys(KIND_LABEL) as AuditKind[];

function isKind(value: string): value is AuditKind {
  return Object.prototype.hasOwnProperty.call(KIND_LABEL, value);
}

/** Arrow keys move between rows' toggles, so a long table is not fifty Tab presses deep. */
function moveFocus(event: KeyboardEvent<HTMLTableSectionElement>) {
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
  const toggles = Array.from(event.currentTarget.querySelectorAll<HTMLButtonElement>('button.audit-toggle'));
  const index = toggles.findIndex((button) => button === document.activeElement);
  if (index === -1) return;
  const next = event.key === 'Home' ? 0 : event.key === 'End' ? toggles.length - 1 : index + (event.key === 'ArrowDown' ? 1 : -1);
  const target = toggles[Math.max(0, Math.min(toggles.length - 1, next))];
  if (!target) return;
  event.preventDefault();
  target.focus();
}

/**
 * The audit log, newest first: the chain's verification on top, a filter by kind, the
 * entries with their full data on demand, and older pages loaded on request.
 */
export function AuditView() {
  const kind = useAudit((s) => s.kind);
  const entries = useAudit((s) => s.entries);
  const verify = useAudit((s) => s.verify);
  const loaded = useAudit((s) => s.loaded);
  const loading = useAudit((s) => s.loading);
  const loadingOlder = useAudit((s) => s.loadingOlder);
  const hasOlder = useAudit((s) => s.hasOlder);
  const error = useAudit((s) => s.error);
  const setKind = useAudit((s) => s.setKind);
  const load = useAudit((s) => s.load);
  const loadOlder = useAudit((s) => s.loadOlder);
  const jumpTo = useAudit((s) => s.jumpTo);
  const anchor = useAudit((s) => s.anchor);
  const dismissError = useAudit((s) => s.dismissError);
  const id = useId();
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const endRef = useRef<HTMLParagraphElement>(null);
  /** Index of the first row a "load older" added: focus goes there, as the button may vanish. */
  const focusFrom = useRef<number | null>(null);
  /** A row asked for from the banner: focused (and so scrolled to) once it is in the table. */
  const focusSeq = useRef<number | null>(null);

  // Every visit reads the log afresh and verifies the chain again.
  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    const index = focusFrom.current;
    if (index === null || loadingOlder) return;
    focusFrom.current = null;
    const toggles = bodyRef.current?.querySelectorAll<HTMLButtonElement>('button.audit-toggle');
    const target = toggles?.[index];
    if (target) target.focus();
    else if (!hasOlder) endRef.current?.focus();
  }, [entries, loadingOlder, hasOlder]);

  useEffect(() => {
    const seq = focusSeq.current;
    if (seq === null || loading) return;
    focusSeq.current = null;
    bodyRef.current?.querySelector<HTMLButtonElement>(`tr[data-seq="${seq}"] button.audit-toggle`)?.focus();
  }, [entries, loading]);

  const showRow = (seq: number) => {
    const shown = bodyRef.current?.querySelector<HTMLButtonElement>(`tr[data-seq="${seq}"] button.audit-toggle`);
    if (shown) {
      shown.focus();
      return;
    }
    focusSeq.current = seq;
    void jumpTo(seq);
  };

  const onLoadOlder = () => {
    focusFrom.current = entries.length;
    void loadOlder();
  };

  const brokenAt = verify && !verify.ok ? verify.brokenAt : null;
  const label = kind ? KIND_LABEL[kind].toLowerCase() : null;

  return (
    <main className="page" aria-labelledby="audit-title">
      <div className="page-inner page-inner-wide">
        <header className="page-header">
          <h1 id="audit-title" className="page-title">
            Audit log
          </h1>
          <div className="usage-controls">
            <label className="inline-field" htmlFor={`${id}-kind`}>
              <span>Kind</span>
              <select id={`${id}-kind`} value={kind ?? ''} onChange={(e) => setKind(isKind(e.target.value) ? e.target.value : null)}>
                <option value="">All kinds</option>
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {KIND_LABEL[k]}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="button button-secondary button-small" onClick={() => void load()} disabled={loading}>
              {loading ? <Spinner size={12} /> : null} Refresh
            </button>
          </div>
        </header>

        <ChainBanner onShowRow={showRow} />
        {error && <ErrorMessage error={error} onDismiss={dismissError} />}

        {loaded && (
          <section className="panel panel-flush" aria-labelledby={`${id}-entries`}>
            <div className="panel-pad audit-panel-head">
              <h2 id={`${id}-entries`} className="section-title">
                {label ? `Entries: ${label}` : 'Entries'}
              </h2>
              <p className="muted">Newest first. Select a row to see its full data and hashes; ↑ and ↓ move between rows.</p>
              {anchor !== null && (
                <p className="audit-anchor">
                  <span>
                    Showing the log from around row {anchor}; newer rows are not listed.
                  </span>{' '}
                  <button type="button" className="link-button" onClick={() => void load()}>
                    Back to the newest
                  </button>
                </p>
              )}
            </div>
            {entries.length === 0 ? (
              <p className="empty-panel muted panel-pad">{label ? `No ${label} entries.` : 'The audit log is empty.'}</p>
            ) : (
              <div className="table-scroll">
                <table className="data-table audit-table" aria-label="Audit entries" aria-busy={loading || loadingOlder}>
                  <thead>
                    <tr>
                      <th scope="col">Seq</th>
                      <th scope="col">Time</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Host</th>
                      <th scope="col">Subject</th>
                      <th scope="col">Summary</th>
                    </tr>
                  </thead>
                  <tbody ref={bodyRef} onKeyDown={moveFocus}>
                    {entries.map((entry) => (
                      <AuditRow key={entry.seq} entry={entry} broken={entry.seq === brokenAt} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {entries.length > 0 && (
              <div className="audit-footer panel-pad">
                <span className="muted" aria-live="polite">
                  {entries.length} {entries.length === 1 ? 'entry' : 'entries'} shown (rows {entries[0]!.seq} back to {entries[entries.length - 1]!.seq})
                </span>
                {hasOlder ? (
                  <button type="button" className="button button-secondary button-small" onClick={onLoadOlder} disabled={loadingOlder || loading}>
                    {loadingOlder ? <Spinner size={12} /> : null} Load older
                  </button>
                ) : (
                  <p className="muted audit-end" ref={endRef} tabIndex={-1}>
                    No older entries.
                  </p>
                )}
              </div>
            )}
          </section>
        )}
        {!loaded && loading && (
          <p className="loading" role="status">
            <Spinner /> Reading and verifying the audit log…
          </p>
        )}
      </div>
    </main>
  );
}
