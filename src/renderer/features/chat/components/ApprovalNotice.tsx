import type { PendingApproval } from '../../../../shared/protocol';
import { EscapedText } from '../../../app/components/EscapedText';
import { useChat } from '../context';

const OUTCOME_TEXT = { approved: 'Approved', denied: 'Denied', expired: 'Expired' } as const;

/**
 * A command the agent asked to run, as the conversation records it. Deciding happens in
 * the approval dialog; an operator session can open it from here.
 */
export function ApprovalNotice({ approval }: { approval: PendingApproval }) {
  const settled = useChat((s) => s.approvalOutcomes[approval.id]);
  const outcome = settled?.outcome;
  const canReview = useChat((s) => s.canReviewApprovals);
  const review = useChat((s) => s.reviewApproval);
  const state = outcome ?? 'pending';
  return (
    <div className={`approval approval-${state}`} role="status" data-approval-id={approval.id} data-approval-state={state}>
      <div className="approval-head">
        <strong>{outcome ? OUTCOME_TEXT[outcome] : 'Waiting for approval'}</strong>
        <span className="approval-meta">
          on <span className="approval-hosts-text">
            <EscapedText text={approval.hosts.join(', ')} />
          </span> · {approval.category.replace(/_/g, ' ')}
        </span>
        {!outcome && canReview && (
          <button type="button" className="button button-small" onClick={() => review(approval.id)}>
            Review…
          </button>
        )}
      </div>
      <pre className="approval-command">
        <EscapedText text={approval.command} />
      </pre>
      {settled?.reason && (
        <p className="approval-decision-reason">
          <span className="muted">Your reason:</span>{' '}
          <q>
            <EscapedText text={settled.reason} multiline />
          </q>
        </p>
      )}
      {approval.reasons.length > 0 && (
        <ul className="approval-reasons">
          {approval.reasons.map((reason) => (
            <li key={reason}>
              <EscapedText text={reason} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
