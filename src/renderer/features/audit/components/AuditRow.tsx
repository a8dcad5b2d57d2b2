import { useId, type MouseEvent } from 'react';
import type { AuditEntryView } from '../../../../shared/protocol';
import { escapeControls } from '../../../../shared/text/escape-controls';
import { EscapedText } from '../../../app/components/EscapedText';
import { useAudit } from '../context';
import { formatTime, KIND_LABEL, summarize } from '../format';

/** Columns in the table, including the toggle; the detail row spans them all. */
const AUDIT_COLUMNS = 7;

/**
 * One audit entry: a summary row that expands (click anywhere on it, or Enter/Space on
 * its toggle) into the full data, subject and hashes. Everything is rendered as text.
 */
export function AuditRow({ entry, broken }: { entry: AuditEntryView; broken: boolean }) {
  const expanded = useAudit((s) => s.expanded.has(entry.seq));
  const toggle = useAudit((s) => s.toggle);
  const detailId = useId();
  const summary = summarize(entry);

  const onRowClick = (event: MouseEvent<HTMLTableRowElement>) => {
    // Dragging across a row to copy a command or hash should not fold it; the toggle itself always works.
    const onToggle = event.target instanceof Element && event.target.closest('button') !== null;
    if (!onToggle && (window.getSelection()?.toString() ?? '') !== '') return;
    toggle(entry.seq);
  };

  return (
    <>
      <tr
        className={`audit-row${expanded ? ' audit-row-expanded' : ''}${broken ? ' audit-row-broken' : ''}`}
        data-seq={entry.seq}
        data-kind={entry.kind}
        onClick={onRowClick}
      >
        <td className="audit-seq">
          <button
            type="button"
            className="audit-toggle"
            aria-expanded={expanded}
            aria-controls={expanded ? detailId : undefined}
            aria-label={`Entry ${entry.seq}, ${KIND_LABEL[entry.kind]}${broken ? ', chain broken here' : ''}: ${expanded ? 'hide' : 'show'} details`}
          >
            <span className="audit-chevron" aria-hidden="true">
              {expanded ? '▾' : '▸'}
            </span>
            {entry.seq}
          </button>
          {broken && (
            <span className="audit-broken-mark" aria-hidden="true">
              broken
            </span>
          )}
        </td>
        <td className="audit-time">
          <time dateTime={entry.at} title={entry.at}>
            {formatTime(entry.at)}
          </time>
        </td>
        <td>
          <span className={`audit-kind audit-kind-${entry.kind}`}>{KIND_LABEL[entry.kind]}</span>
        </td>
        <td className="audit-clip audit-actor" title={escapeControls(entry.actor)}>
          {entry.actor}
        </td>
        <td className="audit-clip audit-host">{entry.host ?? <span className="muted">—</span>}</td>
        <td className="audit-clip audit-subject" title={entry.subject !== null ? escapeControls(entry.subject) : undefined}>
          {entry.subject ? (
            <code>
              <EscapedText text={entry.subject} />
            </code>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td className={`audit-clip audit-summary tone-${summary.tone}`} title={summary.text ? escapeControls(summary.text) : undefined}>
          {summary.text ? <EscapedText text={summary.text} /> : <span className="muted">—</span>}
        </td>
      </tr>
      {expanded && (
        <tr className="audit-detail" id={detailId} data-detail-for={entry.seq}>
          <td colSpan={AUDIT_COLUMNS}>
            <dl className="audit-facts">
              <div>
                <dt>Recorded (UTC)</dt>
                <dd>
                  <code>{entry.at}</code>
                </dd>
              </div>
              <div>
                <dt>Actor</dt>
                <dd>
                  <code>{entry.actor}</code>
                </dd>
              </div>
              {entry.subject !== null && (
                <div className="audit-fact-wide">
                  <dt>Subject</dt>
                  <dd>
                    <code>
                      <EscapedText text={entry.subject} />
                    </code>
                  </dd>
                </div>
              )}
              <div className="audit-fact-wide">
                <dt>Hash</dt>
                <dd>
                  <code>{entry.hash}</code>
                </dd>
              </div>
              <div className="audit-fact-wide">
                <dt>Previous hash</dt>
                <dd>
                  <code>{entry.prevHash}</code>
                </dd>
              </div>
            </dl>
            <span className="audit-data-label">Data</span>
            <pre className="audit-json">
              <EscapedText text={JSON.stringify(entry.data, null, 2)} multiline />
            </pre>
          </td>
        </tr>
      )}
    </>
  );
}
