import { useApprovals } from '../context';

/** Header badge: how many commands wait for a decision; reopens the dialog after Esc. */
export function ApprovalsBadge() {
  const enabled = useApprovals((s) => s.enabled);
  const count = useApprovals((s) => s.pending.length);
  const openDialog = useApprovals((s) => s.openDialog);
  if (!enabled || count === 0) return null;
  const label = `${count} approval${count === 1 ? '' : 's'} waiting`;
  return (
    <button type="button" className="approvals-badge" onClick={() => openDialog()} aria-label={`${label}; open the approval dialog`} title={label}>
      <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
        <path d="M8 1.5 2.5 3.8v3.6c0 3.3 2.3 6.1 5.5 7.1 3.2-1 5.5-3.8 5.5-7.1V3.8L8 1.5Z" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
        <path d="M8 5v3.6M8 10.8v.1" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      </svg>
      <span className="approvals-badge-count">{count}</span>
      <span className="approvals-badge-text">pending</span>
    </button>
  );
}
