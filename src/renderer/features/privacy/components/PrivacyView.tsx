import { useEffect } from 'react';
import { useStore } from 'zustand';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { Spinner } from '../../../app/components/Spinner';
import { formatBytes, formatCounts, type PrivacyStore } from '../store';

/**
 * What was sent to model providers, per conversation and provider: requests, bytes, secrets
 * that went out as placeholders (by type), pseudonyms, the hosts involved. Every value is
 * rendered as text (React escapes it); none is ever HTML.
 */
export function PrivacyView({ store }: { store: PrivacyStore }) {
  const report = useStore(store, (s) => s.report);
  const loading = useStore(store, (s) => s.loading);
  const error = useStore(store, (s) => s.error);
  const load = useStore(store, (s) => s.load);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="page privacy-page" aria-labelledby="privacy-title">
      <header className="page-header">
        <h2 id="privacy-title">Privacy</h2>
        <button type="button" onClick={() => void load()} disabled={loading}>
          Refresh
        </button>
        {loading && <Spinner />}
      </header>
      <p className="muted">
        What each conversation sent to each model provider. Secrets leave only as placeholders; local providers get the text as it is. Forget a conversation or a host with
        <code> fleetmind forget</code>.
      </p>
      {error && <ErrorMessage error={error} />}
      {report && report.rows.length === 0 && <p className="empty">Nothing was sent to a model yet.</p>}
      {report && report.rows.length > 0 && (
        <>
          <p className="privacy-totals">
            {report.totals.requests} requests, {formatBytes(report.totals.bytesSent)} sent; to remote providers {report.totals.remoteRequests} requests, {formatBytes(report.totals.remoteBytesSent)}.
          </p>
          <table className="data-table privacy-table">
            <thead>
              <tr>
                <th scope="col">Conversation</th>
                <th scope="col">Provider</th>
                <th scope="col">Where</th>
                <th scope="col">Requests</th>
                <th scope="col">Sent</th>
                <th scope="col">Redactions</th>
                <th scope="col">Pseudonyms</th>
                <th scope="col">Hosts</th>
                <th scope="col">Last</th>
              </tr>
            </thead>
            <tbody>
              {report.rows.map((r) => (
                <tr key={`${r.conversationId ?? ''}\u0000${r.provider}`} data-provider={r.provider}>
                  <td className="mono">{r.conversationId ?? '(none)'}</td>
                  <td>
                    {r.provider}
                    {r.models.length > 0 && <span className="muted"> ({r.models.join(', ')})</span>}
                  </td>
                  <td>{r.local ? 'local' : 'remote'}</td>
                  <td className="num">{r.requests}</td>
                  <td className="num">{formatBytes(r.bytesSent)}</td>
                  <td className="privacy-redactions">{formatCounts(r.redactions)}</td>
                  <td>{formatCounts(r.pseudonyms)}</td>
                  <td>{r.hosts.length > 0 ? r.hosts.join(', ') : '–'}</td>
                  <td>
                    <time dateTime={r.lastAt}>{r.lastAt.replace('T', ' ').slice(0, 19)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
