import { useEffect, useId, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import type { ApprovalDecisionRequest, ApprovalView } from '../../../../shared/protocol';
import { escapeControls, hasControls } from '../../../../shared/text/escape-controls';
import { EscapedText } from '../../../app/components/EscapedText';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { Modal } from '../../../app/components/Modal';
import { Spinner } from '../../../app/components/Spinner';
import { useApprovals } from '../context';
import { CATEGORY_LABELS, DANGEROUS_CATEGORIES, formatCountdown, sharedTags } from '../format';
import { DecisionOutcome } from './DecisionOutcome';

/**
 * Keys pressed within this time after a request appears are ignored: the operator may
 * still be pressing Enter from sending the message that caused it.
 */
const ARMING_DELAY_MS = 400;
const SHORTCUT_KEYS = new Set(['a', 'r', 't', 'd', 'enter', 'arrowleft', 'arrowright']);

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Requesters are recorded as `agent:<conversation>`, `cli`, `api`...; the conversation is implied here. */
function describeRequester(requester: string): string {
  return requester.startsWith('agent:') ? 'the agent' : requester;
}

function isControl(target: EventTarget): boolean {
  return target instanceof HTMLElement && target.closest('button, a, input, textarea, select') !== null;
}

/** The approval dialog: opens by itself for new requests, or from the header badge. */
export function ApprovalDialog() {
  const open = useApprovals((s) => s.open);
  return open ? <OpenApprovalDialog /> : null;
}

function OpenApprovalDialog() {
  const pending = useApprovals((s) => s.pending);
  const currentId = useApprovals((s) => s.currentId);
  const outcome = useApprovals((s) => s.outcome);
  const close = useApprovals((s) => s.close);
  const dismissOutcome = useApprovals((s) => s.dismissOutcome);
  const error = useApprovals((s) => s.error);
  const titleId = useId();
  const descriptionId = useId();
  const current = pending.find((a) => a.id === currentId) ?? null;
  const [denying, setDenying] = useState(false);
  // The review registers its shortcuts here: keys reach the dialog element wherever focus is inside it.
  const shortcuts = useRef<((event: KeyboardEvent<HTMLDivElement>) => void) | null>(null);

  useEffect(() => setDenying(false), [currentId]);

  const onEscape = () => {
    if (denying) setDenying(false);
    else if (outcome) dismissOutcome();
    else close();
  };

  return (
    <Modal labelledBy={titleId} describedBy={descriptionId} className="approval-dialog" onEscape={onEscape} onKeyDown={(event) => shortcuts.current?.(event)}>
      {outcome ? (
        <DecisionOutcome outcome={outcome} titleId={titleId} descriptionId={descriptionId} />
      ) : current ? (
        <ApprovalReview
          key={current.id}
          approval={current}
          titleId={titleId}
          descriptionId={descriptionId}
          denying={denying}
          setDenying={setDenying}
          shortcuts={shortcuts}
        />
      ) : (
        <div className="approval-empty">
          <h2 id={titleId} className="approval-title">
            Approvals
          </h2>
          <p id={descriptionId} className="muted">
            Nothing is waiting for a decision.
          </p>
          {error && <ErrorMessage error={error} title="The decision did not go through" />}
          <div className="approval-actions">
            <button type="button" className="button button-secondary" onClick={close}>
              Close
            </button>
          </div>
        </div>
      )}
    </Modal>
  );
}

interface ReviewProps {
  approval: ApprovalView;
  titleId: string;
  descriptionId: string;
  denying: boolean;
  setDenying: (denying: boolean) => void;
  shortcuts: RefObject<((event: KeyboardEvent<HTMLDivElement>) => void) | null>;
}

function ApprovalReview({ approval, titleId, descriptionId, denying, setDenying, shortcuts }: ReviewProps) {
  const pending = useApprovals((s) => s.pending);
  const hostTags = useApprovals((s) => s.hostTags);
  const deciding = useApprovals((s) => s.deciding);
  const error = useApprovals((s) => s.error);
  const decide = useApprovals((s) => s.decide);
  const step = useApprovals((s) => s.step);
  const markExpired = useApprovals((s) => s.markExpired);
  const dismissError = useApprovals((s) => s.dismissError);
  const close = useApprovals((s) => s.close);
  const showConversation = useApprovals((s) => s.showConversation);
  const now = useNow(1000);
  const [armedAt] = useState(() => performance.now() + ARMING_DELAY_MS);
  const tags = sharedTags(approval.hosts, hostTags);
  const [tag, setTag] = useState<string>(tags[0] ?? '');
  const [reason, setReason] = useState('');
  const reasonField = useRef<HTMLTextAreaElement>(null);
  // Production hosts: approving needs each one's name typed. The server checks the names (it is the
  // gate); the button only waits for them so a click cannot go out without.
  const confirmation = approval.confirmation ?? null;
  const [typedNames, setTypedNames] = useState('');
  const typed = [...new Set(typedNames.split(/[\s,]+/).filter(Boolean))];
  const confirmed = !confirmation || (confirmation.hosts.every((h) => typed.includes(h)) && typed.every((t) => confirmation.hosts.includes(t)));

  const remainingMs = Date.parse(approval.expiresAt) - now;
  const expired = remainingMs <= 0;
  const busy = deciding !== null;
  const canDecide = !busy && !expired;
  const canApprove = canDecide && confirmed;
  const index = pending.findIndex((a) => a.id === approval.id);
  const dangerous = DANGEROUS_CATEGORIES.has(approval.category);
  const selectedTag = tags.includes(tag) ? tag : (tags[0] ?? '');

  useEffect(() => {
    if (expired) markExpired(approval.id);
  }, [expired, approval.id, markExpired]);

  useEffect(() => {
    if (denying) reasonField.current?.focus();
  }, [denying]);

  const send = (request: ApprovalDecisionRequest) => {
    if (canDecide) void decide(approval.id, request);
  };
  const approveOnce = () => canApprove && send({ decision: 'approve', remember: 'once', ...(confirmation ? { confirmHosts: typed } : {}) });
  const approveForHosts = () => approval.rememberable && send({ decision: 'approve', remember: 'host' });
  const approveForTag = () => approval.rememberable && selectedTag && send({ decision: 'approve', remember: 'tag', tag: selectedTag });
  const deny = () => {
    const text = reason.trim();
    send(text ? { decision: 'deny', reason: text } : { decision: 'deny' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey || denying) return;
    const key = event.key.toLowerCase();
    if (!SHORTCUT_KEYS.has(key)) return;
    if (key === 'enter' && isControl(event.target)) return; // Enter on a button presses that button
    if (event.target instanceof HTMLElement && event.target.closest('input, textarea, select')) return;
    event.preventDefault();
    if (event.repeat || performance.now() < armedAt) return;
    if (key === 'arrowleft') step(-1);
    else if (key === 'arrowright') step(1);
    else if (key === 'a' || key === 'enter') approveOnce();
    else if (key === 'r') approveForHosts();
    else if (key === 't') approveForTag();
    else if (key === 'd' && canDecide) setDenying(true);
  };

  useEffect(() => {
    shortcuts.current = onKeyDown;
    return () => {
      shortcuts.current = null;
    };
  });

  const onReasonKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      deny();
    } else if (event.key === 'Escape') {
      // Leaves the reason, not the dialog.
      event.preventDefault();
      event.stopPropagation();
      setDenying(false);
    }
  };

  const hostLabel = approval.hosts.length === 1 ? escapeControls(approval.hosts[0]!) : `these ${approval.hosts.length} hosts`;
  const hiddenCharacters = hasControls(approval.command);

  return (
    <div className="approval-review" data-approval-id={approval.id}>
      <header className={`approval-dialog-header ${dangerous ? 'approval-dialog-header-danger' : ''}`}>
        <div className="approval-dialog-heading">
          <span className="approval-dialog-icon" aria-hidden="true">
            !
          </span>
          <div>
            <h2 id={titleId} className="approval-title">
              Approval required
            </h2>
            <p id={descriptionId} className="approval-subtitle">
              The agent wants to run a command on {approval.hosts.length === 1 ? '1 host' : `${approval.hosts.length} hosts`}. Nothing runs unless you approve.
            </p>
          </div>
        </div>
        <div className="approval-dialog-status">
          {pending.length > 1 && (
            <span className="approval-pager">
              <button type="button" className="icon-button" onClick={() => step(-1)} aria-label="Previous request">
                ‹
              </button>
              <span>
                {index + 1} of {pending.length}
              </span>
              <button type="button" className="icon-button" onClick={() => step(1)} aria-label="Next request">
                ›
              </button>
            </span>
          )}
          <span className={`approval-expiry ${expired ? 'approval-expiry-over' : remainingMs < 60_000 ? 'approval-expiry-soon' : ''}`} role="timer" aria-live="off">
            {expired ? 'expired' : `expires in ${formatCountdown(remainingMs)}`}
          </span>
        </div>
      </header>

      <div className="approval-body">
        {approval.rootHosts.length > 0 && (
          <p className="approval-root" data-root-hosts={approval.rootHosts.join(',')}>
            <strong>Runs as ROOT</strong> on <EscapedText text={approval.rootHosts.join(', ')} />
          </p>
        )}

        {confirmation && (
          <section className="approval-production" data-testid="approval-production" data-production-hosts={confirmation.hosts.join(',')}>
            <p className="approval-production-warning" role="alert">
              <strong>Production</strong>: this changes {confirmation.hosts.length === 1 ? 'a production host' : `${confirmation.hosts.length} production hosts`}. It runs only once you
              type {confirmation.hosts.length === 1 ? 'its name' : 'the name of each'} below; approvals on production are never remembered.
            </p>
            <ul className="approval-production-reasons">
              {confirmation.reasons.map((r) => (
                <li key={r}>
                  <EscapedText text={r} />
                </li>
              ))}
            </ul>
          </section>
        )}

        <section className="approval-field">
          <h3 className="approval-label">Command</h3>
          <pre className="approval-dialog-command" aria-label="Command to run" tabIndex={0}>
            <span className="approval-prompt" aria-hidden="true">
              ${' '}
            </span>
            {/* The exact characters that run; control and invisible ones as marked escapes, on one line. */}
            <code>
              <EscapedText text={approval.command} />
            </code>
          </pre>
          {hiddenCharacters && (
            <p className="approval-hidden-characters" role="alert">
              <strong>This command contains control or invisible characters.</strong> They are shown above as marked escapes (such as <code>\x1b</code> or{' '}
              <code>\u202e</code>) and are part of what runs. A terminal or a page could show such a command differently from what it does.
            </p>
          )}
          <p className="approval-hint">This exact text runs. To change it, ask the agent for a different command; a proposed command cannot be edited.</p>
        </section>

        <dl className="approval-facts">
          <div className="approval-fact approval-fact-wide">
            <dt>
              Host{approval.hosts.length === 1 ? '' : `s (${approval.hosts.length})`}
            </dt>
            <dd>
              <ul className="approval-hosts" aria-label="Hosts">
                {approval.hosts.map((host) => (
                  <li key={host} className={`host-chip ${approval.rootHosts.includes(host) ? 'host-chip-root' : ''}`}>
                    <EscapedText text={host} />
                    {approval.rootHosts.includes(host) && <span className="host-chip-flag">root</span>}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
          <div className="approval-fact">
            <dt>Category</dt>
            <dd>
              <span className={`category-badge ${dangerous ? 'category-danger' : ''}`} data-category={approval.category}>
                {CATEGORY_LABELS[approval.category] ?? approval.category}
              </span>
            </dd>
          </div>
          <div className="approval-fact">
            <dt>Requested</dt>
            <dd className="muted">
              {new Date(approval.requestedAt).toLocaleTimeString()} by {describeRequester(approval.requester)}
              {approval.conversationId && (
                <>
                  {' · '}
                  <button type="button" className="link-button" onClick={() => showConversation(approval.conversationId!)}>
                    show conversation
                  </button>
                </>
              )}
            </dd>
          </div>
          <div className="approval-fact approval-fact-wide">
            <dt>Purpose (the agent’s words, not verified)</dt>
            <dd className={approval.purpose ? 'approval-purpose' : 'muted'} title="Written by the model that proposed the command. Judge the command itself; the purpose may be wrong or misleading.">
              {approval.purpose ? (
                <>
                  “<EscapedText text={approval.purpose} />”
                </>
              ) : (
                'The agent gave no purpose.'
              )}
            </dd>
          </div>
          {approval.reasons.length > 0 && (
            <div className="approval-fact approval-fact-wide">
              <dt>Why it needs approval</dt>
              <dd>
                <ul className="approval-dialog-reasons">
                  {approval.reasons.map((r) => (
                    <li key={r}>
                      <EscapedText text={r} />
                    </li>
                  ))}
                </ul>
              </dd>
            </div>
          )}
        </dl>

        {confirmation && (
          // Below the command and the reasons, just above the buttons: read first, then type.
          <div className="approval-production-confirm" data-testid="approval-production-confirm">
            <label htmlFor={`${approval.id}-confirm-host`} className="approval-production-label">
              {confirmation.hosts.length === 1 ? (
                <>
                  Type <code>{escapeControls(confirmation.hosts[0]!)}</code> to approve
                </>
              ) : (
                <>Type the names of these {confirmation.hosts.length} hosts, separated by spaces, to approve</>
              )}
            </label>
            <input
              id={`${approval.id}-confirm-host`}
              data-testid="approval-confirm-host"
              type="text"
              autoComplete="off"
              autoCapitalize="off"
              spellCheck={false}
              value={typedNames}
              disabled={!canDecide}
              aria-invalid={typedNames.trim() !== '' && !confirmed}
              onChange={(event) => setTypedNames(event.target.value)}
              onKeyDown={(event) => {
                // Enter approves once the names match (after the arming delay, like the shortcuts).
                if (event.key === 'Enter' && !event.nativeEvent.isComposing) {
                  event.preventDefault();
                  if (!event.repeat && performance.now() >= armedAt) approveOnce();
                }
              }}
            />
          </div>
        )}

        {expired && (
          <p className="approval-expired-note" role="alert">
            This request expired; nothing ran. Ask the agent again if it is still needed.
          </p>
        )}
        {error && <ErrorMessage error={error} onDismiss={dismissError} title="The decision did not go through" />}
      </div>

      {!denying &&
        (approval.rememberable ? (
          <div className="approval-remember" role="group" aria-label="Approve and remember">
            <span className="approval-remember-label">Approve and remember this exact command</span>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={approveForHosts}
              disabled={!canDecide}
              aria-keyshortcuts="R"
              title={`Approve now; from now on this exact command runs without asking on ${hostLabel}`}
            >
              for {hostLabel} <kbd>R</kbd>
            </button>
            {tags.length > 0 && (
              <span className="approval-tag">
                {tags.length > 1 && (
                  <select aria-label="Tag to remember for" value={selectedTag} onChange={(event) => setTag(event.target.value)} disabled={!canDecide}>
                    {tags.map((t) => (
                      <option key={t} value={t}>
                        {t}
                      </option>
                    ))}
                  </select>
                )}
                <button
                  type="button"
                  className="button button-secondary button-small"
                  onClick={approveForTag}
                  disabled={!canDecide}
                  aria-keyshortcuts="T"
                  title={`Approve now; from now on this exact command runs without asking on every host tagged ${selectedTag}`}
                >
                  for hosts tagged {selectedTag} <kbd>T</kbd>
                </button>
              </span>
            )}
          </div>
        ) : (
          <p className="approval-remember approval-remember-note muted" data-testid="approval-remember-refusal">
            “Approve and remember” is not offered for this command:{' '}
            {approval.notRememberable ? <EscapedText text={approval.notRememberable} /> : 'commands run through sudo, a shell, an interpreter or env are approved one at a time'}.
            {confirmation ? ' Approve it once, with the host name typed.' : ' Only a single command whose every word is literal can be remembered; approve this one once.'}
          </p>
        ))}
      {denying ? (
        <form
          className="approval-deny"
          onSubmit={(event) => {
            event.preventDefault();
            deny();
          }}
        >
          <label htmlFor={`${approval.id}-reason`} className="approval-label">
            Reason for denying (sent to the agent)
          </label>
          <textarea
            id={`${approval.id}-reason`}
            ref={reasonField}
            rows={2}
            maxLength={1000}
            value={reason}
            placeholder="e.g. not during business hours; use the maintenance window"
            onChange={(event) => setReason(event.target.value)}
            onKeyDown={onReasonKeyDown}
          />
          <div className="approval-actions">
            <span className="approval-keys muted">
              <kbd>Enter</kbd> send · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line · <kbd>Esc</kbd> back
            </span>
            <button type="button" className="button button-secondary" onClick={() => setDenying(false)} disabled={busy}>
              Back
            </button>
            <button type="submit" className="button button-danger" disabled={!canDecide}>
              {busy ? <Spinner /> : null} Deny
            </button>
          </div>
        </form>
      ) : (
        <footer className="approval-actions">
          {busy ? (
            <span className="approval-progress" role="status">
              <Spinner /> {deciding?.decision === 'approve' ? `Running on ${hostLabel}…` : 'Telling the agent…'}
            </span>
          ) : (
            <span className="approval-keys muted">
              <kbd>Esc</kbd> decide later{pending.length > 1 ? ' · ← → switch' : ''}
            </span>
          )}
          <button type="button" className="button button-secondary" onClick={() => setDenying(true)} disabled={!canDecide} aria-keyshortcuts="D">
            Deny… <kbd>D</kbd>
          </button>
          <button
            type="button"
            className="button button-approve"
            onClick={approveOnce}
            disabled={!canApprove}
            aria-keyshortcuts="A Enter"
            title={confirmed ? undefined : `Type the production host name${confirmation && confirmation.hosts.length > 1 ? 's' : ''} above first`}
          >
            Approve once <kbd>A</kbd>
          </button>
        </footer>
      )}
      <button type="button" className="approval-close icon-button" onClick={close} aria-label="Close; decide later">
        ×
      </button>
    </div>
  );
}
