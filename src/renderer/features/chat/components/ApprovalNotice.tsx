import type { PendingApproval } from '../../../../shared/protocol';

/** A command waiting for the operator; deciding happens in the approvals view. */
export function ApprovalNotice({ approval }: { approval: PendingApproval }) {
  return (
    <div className="approval" role="status" data-approval-id={approval.id}>
      <strong>Approval required</strong> ({approval.category}) on {approval.hosts.join(', ')}
      <pre className="approval-command">{approval.command}</pre>
      {approval.reasons.length > 0 && (
        <ul className="approval-reasons">
          {approval.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
