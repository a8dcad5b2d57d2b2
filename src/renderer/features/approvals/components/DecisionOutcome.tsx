import { useEffect, useRef } from 'react';
import type { ApprovalDecisionResponse, ExecResultLine } from '../../../../shared/protocol';
import { EscapedText } from '../../../app/components/EscapedText';
import { useApprovals } from '../context';
import { outputPreview } from '../format';

/** Long enough to read "ran on 3 hosts, all ok"; failures stay until dismissed. */
const OUTCOME_VISIBLE_MS = 3500;

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function ResultRow({ result }: { result: ExecResultLine }) {
  const status = result.error ? result.error.code.replace(/_/g, ' ') : `exit ${result.exitCode ?? '?'}`;
  const output = outputPreview(result.stdout || result.stderr || result.error?.message || '');
  return (
    <li className={`result-row ${result.ok ? 'result-ok' : 'result-failed'}`} data-host={result.host} data-ok={String(result.ok)}>
      <span className={`status-icon ${result.ok ? 'status-ok' : 'status-failed'}`} aria-hidden="true">
        {result.ok ? '✓' : '✕'}
      </span>
      <span className="result-host">
        <EscapedText text={result.host} />
      </span>
      <span className={`result-status ${result.ok ? 'status-text-ok' : 'status-text-failed'}`}>{status}</span>
      <span className="result-duration">{formatMs(result.durationMs)}</span>
      {output && (
        <pre className="result-output">
          <EscapedText text={output} multiline />
        </pre>
      )}
    </li>
  );
}

/** What a decision did: per-host results of an approved command, or the denial sent to the agent. */
export function DecisionOutcome({ outcome, titleId, descriptionId }: { outcome: ApprovalDecisionResponse; titleId: string; descriptionId: string }) {
  const dismiss = useApprovals((s) => s.dismissOutcome);
  const morePending = useApprovals((s) => s.pending.length);
  const closeButton = useRef<HTMLButtonElement>(null);
  const { approval, results, remembered } = outcome;
  const approved = approval.status === 'approved';
  const failed = results.filter((r) => !r.ok);
  const allOk = approved ? failed.length === 0 : true;

  useEffect(() => {
    closeButton.current?.focus();
    if (!allOk) return;
    const timer = window.setTimeout(dismiss, OUTCOME_VISIBLE_MS);
    return () => window.clearTimeout(timer);
  }, [allOk, dismiss]);

  const title = approved
    ? failed.length === 0
      ? `Approved — ran on ${results.length === 1 ? results[0]!.host : `${results.length} hosts`}`
      : `Approved — failed on ${failed.length} of ${results.length} host${results.length === 1 ? '' : 's'}`
    : 'Denied — nothing ran';

  return (
    <div className={`approval-outcome ${approved ? (allOk ? 'outcome-ok' : 'outcome-failed') : 'outcome-denied'}`} data-outcome={approval.status}>
      <header className="approval-dialog-header">
        <div className="approval-dialog-heading">
          <span className={`approval-dialog-icon ${approved && allOk ? 'icon-ok' : approved ? 'icon-failed' : 'icon-denied'}`} aria-hidden="true">
            {approved && allOk ? '✓' : approved ? '!' : '✕'}
          </span>
          <div>
            <h2 id={titleId} className="approval-title">
              {title}
            </h2>
            <p id={descriptionId} className="approval-subtitle">
              <code>
                <EscapedText text={approval.command} />
              </code>
            </p>
          </div>
        </div>
      </header>
      <div className="approval-body">
        {approved ? (
          <ul className="result-list" aria-label="Results per host">
            {results.map((r) => (
              <ResultRow key={r.host} result={r} />
            ))}
          </ul>
        ) : (
          <p>
            {approval.decisionReason ? (
              <>
                The agent was told why:{' '}
                <q className="approval-purpose">
                  <EscapedText text={approval.decisionReason} multiline />
                </q>
              </>
            ) : (
              'The agent was told it was denied (no reason given).'
            )}
          </p>
        )}
        {remembered.length > 0 && (
          <p className="approval-remembered">
            Remembered: this exact command runs without asking on {remembered.map((r) => (r.scope === 'tag' ? `hosts tagged ${r.target}` : r.target)).join(', ')}.
          </p>
        )}
        <p className="muted">The agent continues in the conversation.</p>
      </div>
      <footer className="approval-actions">
        <span className="approval-keys muted">
          <kbd>Enter</kbd> {morePending > 0 ? 'next request' : 'close'}
        </span>
        <button ref={closeButton} type="button" className="button button-primary" onClick={dismiss}>
          {morePending > 0 ? `Next request (${morePending})` : 'Close'}
        </button>
      </footer>
    </div>
  );
}
