import { useEffect, useId } from 'react';
import type { BudgetStatus, UsageDimension } from '../../../../shared/protocol';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { Spinner } from '../../../app/components/Spinner';
import { useUsage } from '../context';
import { formatCount, formatUsd, share } from '../format';
import { BudgetBanner } from './BudgetBanner';

const DIMENSIONS: { value: UsageDimension; label: string; column: string }[] = [
  { value: 'day', label: 'Day', column: 'Day (UTC)' },
  { value: 'model', label: 'Model', column: 'Provider / model' },
  { value: 'conversation', label: 'Conversation', column: 'Conversation' },
];

function Meter({ label, spent, limit }: { label: string; spent: number; limit: number | null }) {
  const fraction = share(spent, limit);
  const level = fraction === null ? 'none' : fraction >= 1 ? 'over' : fraction >= 0.8 ? 'near' : 'fine';
  return (
    <div className="meter">
      <div className="meter-text">
        <span className="meter-label">{label}</span>
        <span className="meter-value">
          {formatUsd(spent)} <span className="muted">{limit === null ? 'no limit set' : `of ${formatUsd(limit)}`}</span>
        </span>
      </div>
      {fraction !== null && (
        <div className={`meter-track meter-${level}`} role="meter" aria-label={`${label} spend`} aria-valuemin={0} aria-valuemax={limit ?? 0} aria-valuenow={spent}>
          <div className="meter-fill" style={{ width: `${Math.max(2, fraction * 100)}%` }} />
        </div>
      )}
    </div>
  );
}

function BudgetMeters({ budget }: { budget: BudgetStatus }) {
  return (
    <div className="meters">
      <Meter label="Today (remote models)" spent={budget.dailySpentUsd} limit={budget.dailyLimitUsd} />
      <Meter label="This month (remote models)" spent={budget.monthlySpentUsd} limit={budget.monthlyLimitUsd} />
    </div>
  );
}

/** Model calls, tokens and cost, grouped as asked, with the budget's state on top. */
export function UsageView() {
  const by = useUsage((s) => s.by);
  const since = useUsage((s) => s.since);
  const report = useUsage((s) => s.report);
  const loading = useUsage((s) => s.loading);
  const error = useUsage((s) => s.error);
  const setBy = useUsage((s) => s.setBy);
  const setSince = useUsage((s) => s.setSince);
  const load = useUsage((s) => s.load);
  const id = useId();

  useEffect(() => {
    void load();
  }, [load]);

  const column = DIMENSIONS.find((d) => d.value === by)?.column ?? 'Key';
  const totals = report?.totals;
  // The report answers for the grouping it was asked; while a new one loads, keep showing the old rows.
  const rows = report?.rows ?? [];

  return (
    <main className="page" aria-labelledby="usage-title">
      <div className="page-inner">
        <header className="page-header">
          <h1 id="usage-title" className="page-title">
            Usage
          </h1>
          <div className="usage-controls">
            <div className="segmented" role="radiogroup" aria-label="Group by">
              {DIMENSIONS.map((d) => (
                <button key={d.value} type="button" role="radio" aria-checked={by === d.value} className="segment" onClick={() => setBy(d.value)}>
                  {d.label}
                </button>
              ))}
            </div>
            <label className="inline-field" htmlFor={`${id}-since`}>
              <span>Since</span>
              <input id={`${id}-since`} type="date" value={since} onChange={(e) => setSince(e.target.value)} />
            </label>
            <button type="button" className="button button-secondary button-small" onClick={() => void load()} disabled={loading}>
              {loading ? <Spinner size={12} /> : null} Refresh
            </button>
          </div>
        </header>

        <BudgetBanner />
        {error && <ErrorMessage error={error} />}

        {report && totals && (
          <>
            <section className="stat-grid" aria-label="Totals">
              <div className="stat">
                <span className="stat-label">Model calls</span>
                <span className="stat-value" data-stat="calls">
                  {formatCount(totals.calls)}
                </span>
              </div>
              <div className="stat">
                <span className="stat-label">Prompt tokens</span>
                <span className="stat-value">{formatCount(totals.promptTokens)}</span>
              </div>
              <div className="stat">
                <span className="stat-label">Completion tokens</span>
                <span className="stat-value">{formatCount(totals.completionTokens)}</span>
              </div>
              <div className="stat">
                <span className="stat-label">Cached tokens</span>
                <span className="stat-value">{formatCount(totals.cachedTokens)}</span>
              </div>
              <div className="stat">
                <span className="stat-label">Cost</span>
                <span className="stat-value">{formatUsd(totals.costUsd)}</span>
              </div>
            </section>

            <section className="panel" aria-labelledby={`${id}-budget`}>
              <h2 id={`${id}-budget`} className="section-title">
                Budget
              </h2>
              <BudgetMeters budget={report.budget} />
            </section>

            <section className="panel panel-flush" aria-labelledby={`${id}-table`}>
              <h2 id={`${id}-table`} className="section-title panel-pad">
                By {by}
              </h2>
              {rows.length === 0 ? (
                <p className="empty-panel muted panel-pad">No model calls since {since}. The offline engine and cached answers cost nothing and are not listed.</p>
              ) : (
                <div className="table-scroll">
                  <table className="data-table" aria-label={`Usage by ${by}`}>
                    <thead>
                      <tr>
                        <th scope="col">{column}</th>
                        <th scope="col" className="num">
                          Calls
                        </th>
                        <th scope="col" className="num">
                          Prompt
                        </th>
                        <th scope="col" className="num">
                          Completion
                        </th>
                        <th scope="col" className="num">
                          Cached
                        </th>
                        <th scope="col" className="num">
                          Cost
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((row) => (
                        <tr key={row.key} data-key={row.key}>
                          <th scope="row" className="key-cell">
                            {row.key}
                          </th>
                          <td className="num" data-column="calls">
                            {formatCount(row.calls)}
                          </td>
                          <td className="num">{formatCount(row.promptTokens)}</td>
                          <td className="num">{formatCount(row.completionTokens)}</td>
                          <td className="num">{formatCount(row.cachedTokens)}</td>
                          <td className="num">{formatUsd(row.costUsd)}</td>
                        </tr>
                      ))}
                    </tbody>
                    <tfoot>
                      <tr>
                        <th scope="row">Total</th>
                        <td className="num">{formatCount(totals.calls)}</td>
                        <td className="num">{formatCount(totals.promptTokens)}</td>
                        <td className="num">{formatCount(totals.completionTokens)}</td>
                        <td className="num">{formatCount(totals.cachedTokens)}</td>
                        <td className="num">{formatUsd(totals.costUsd)}</td>
                      </tr>
                    </tfoot>
                  </table>
                </div>
              )}
            </section>
          </>
        )}
        {!report && loading && (
          <p className="loading" role="status">
            <Spinner /> Loading usage…
          </p>
        )}
      </div>
    </main>
  );
}
