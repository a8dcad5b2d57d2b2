import { useState } from 'react';
import type { RememberedRuleView } from '../../../../shared/protocol';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import { useRules } from '../context';
import { formatTime, scopeText, shortId } from '../format';

/** One remembered rule, with Revoke asking for confirmation in place. */
export function RuleRow({ rule }: { rule: RememberedRuleView }) {
  const revoke = useRules((s) => s.revoke);
  const revoking = useRules((s) => s.revoking);
  const [confirming, setConfirming] = useState(false);
  const busy = revoking === rule.id;

  return (
    <tr className="rule-row" data-rule-id={rule.id} data-scope={rule.scope}>
      <td className="rule-command">
        <code>
          <EscapedText text={rule.command} />
        </code>
      </td>
      <td>
        <span className="badge badge-neutral" data-scope={rule.scope}>
          {rule.scope}
        </span>{' '}
        <span className="rule-target">{rule.target}</span>
      </td>
      <td className="rule-created">
        <span className="rule-created-by">{rule.createdBy}</span>
        <br />
        <time className="muted" dateTime={rule.createdAt} title={rule.createdAt}>
          {formatTime(rule.createdAt)}
        </time>
      </td>
      <td className="rule-policy">
        {rule.policyVersion ? <code title={rule.policyVersion}>{rule.policyVersion}</code> : <span className="muted">not recorded</span>}
        {rule.verdict && (
          <span className="muted rule-verdict">
            {' '}
            ({rule.verdict.decision} {rule.verdict.category})
          </span>
        )}
      </td>
      <td className="rule-approval">
        {rule.approvalId ? (
          <code title={rule.approvalId}>{shortId(rule.approvalId)}</code>
        ) : (
          <span className="muted">none</span>
        )}
      </td>
      <td className="rule-actions">
        {confirming ? (
          <span className="provider-confirm" role="group" aria-label={`Revoke the rule for ${scopeText(rule)}?`}>
            <span>Ask again on {scopeText(rule)}?</span>
            <button type="button" className="button button-danger button-small" onClick={() => void revoke(rule.id).then(() => setConfirming(false))} disabled={busy} autoFocus>
              {busy ? <Spinner size={12} /> : null} Revoke
            </button>
            <button type="button" className="button button-secondary button-small" onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </button>
          </span>
        ) : (
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setConfirming(true)}
            disabled={revoking !== null}
            title={`Revoke: this command asks for approval again on ${scopeText(rule)}`}
          >
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}
