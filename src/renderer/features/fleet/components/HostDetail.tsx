import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import { useFleet } from '../context';
import { formatAgo, HEALTH_TEXT, hostHealth, RANGES, type RangeKey } from '../charts';
import { MetricChart } from './MetricChart';

/** One host's charts (CPU, memory, load, disk, network) over 1 h, 24 h or 7 d. */
export function HostDetail() {
  const detail = useFleet((s) => s.detail);
  const select = useFleet((s) => s.select);
  const setRange = useFleet((s) => s.setRange);
  const refresh = useFleet((s) => s.refreshDetail);
  if (!detail) return null;
  const collector = detail.series?.collector ?? null;
  const health = hostHealth(collector);
  return (
    <section className="panel host-detail" aria-labelledby="host-detail-title" data-host={detail.host} data-range={detail.range} aria-busy={detail.loading}>
      <div className="panel-head">
        <div>
          <h2 id="host-detail-title" className="section-title">
            <EscapedText text={detail.host} />
          </h2>
          <p className="muted">
            <span className={`health health-${health}`}>{HEALTH_TEXT[health]}</span>
            {collector && <> · last seen {formatAgo(collector.lastSuccessAt, Date.now())}</>}
            {collector?.lastError && (
              <>
                {' '}
                · <code>{collector.lastError.code}</code> <EscapedText text={collector.lastError.message} />
              </>
            )}
          </p>
        </div>
        <div className="host-detail-actions">
          <div className="segmented" role="radiogroup" aria-label="Time range">
            {(Object.keys(RANGES) as RangeKey[]).map((key) => (
              <button key={key} type="button" role="radio" aria-checked={detail.range === key} className="segment" onClick={() => void setRange(key)}>
                {RANGES[key].label}
              </button>
            ))}
          </div>
          <button type="button" className="button button-secondary button-small" onClick={() => void refresh()} disabled={detail.loading}>
            {detail.loading ? <Spinner size={12} /> : null} Refresh
          </button>
          <button type="button" className="button button-secondary button-small" onClick={() => void select(null)}>
            Back to the fleet
          </button>
        </div>
      </div>
      {detail.error && <ErrorMessage error={detail.error} title="Could not read this host's metrics" />}
      {!detail.loading && detail.series && detail.charts.length === 0 && <p className="muted">No metrics collected for this host yet.</p>}
      {detail.loading && detail.charts.length === 0 && (
        <p className="loading" role="status">
          <Spinner /> Reading the metrics…
        </p>
      )}
      <div className="metric-charts">
        {detail.charts.map((chart) => (
          <MetricChart key={chart.spec.id} chart={chart} host={detail.host} since={detail.since} until={detail.until} stepMs={detail.stepMs} />
        ))}
      </div>
    </section>
  );
}
