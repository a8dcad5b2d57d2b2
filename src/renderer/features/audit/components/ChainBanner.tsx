import { useAudit } from '../context';
import { chainStatus, formatTime } from '../format';

/**
 * The verdict of the whole hash chain, first thing on the page: green when every row
 * hashes to itself and links to the one before, red naming the first broken row, with
 * a way to that row (in a long log it is rarely on the first page).
 */
export function ChainBanner({ onShowRow }: { onShowRow: (seq: number) => void }) {
  const verify = useAudit((s) => s.verify);
  const checkedAt = useAudit((s) => s.checkedAt);
  if (!verify) return null;
  const status = chainStatus(verify);
  const checked = checkedAt ? `checked ${formatTime(checkedAt)}` : null;
  const note = verify.ok
    ? [verify.firstSeq !== null && verify.lastSeq !== null ? `rows ${verify.firstSeq}–${verify.lastSeq} verified` : null, checked]
    : // verify() stops at the first problem, so nothing after it was checked: say so rather than imply the rest is fine.
      ['verification stops at the first problem, so later rows were not checked', checked];
  return (
    <div
      className={`chain-banner ${status.intact ? 'chain-intact' : 'chain-broken'}`}
      // A broken chain interrupts (alert); an intact one is announced politely.
      role={status.intact ? 'status' : 'alert'}
      data-chain={status.intact ? 'intact' : 'broken'}
      data-broken-at={verify.ok ? undefined : verify.brokenAt}
    >
      <span className="chain-icon" aria-hidden="true">
        {status.intact ? '✓' : '!'}
      </span>
      <div className="chain-text">
        <p className="chain-headline">
          <strong>{status.headline}:</strong> {status.detail}
        </p>
        <p className="chain-note">{note.filter(Boolean).join(' · ')}</p>
      </div>
      {!verify.ok && (
        <button type="button" className="button button-secondary button-small chain-action" onClick={() => onShowRow(verify.brokenAt)}>
          Show row {verify.brokenAt}
        </button>
      )}
    </div>
  );
}
