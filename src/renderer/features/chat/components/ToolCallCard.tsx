import { useId, useState } from 'react';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import type { ToolCallView } from '../model';
import { CommandRuns, DataTable, FindingsList } from './ChatBlocks';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const STATUS_TEXT = { running: 'running', ok: 'ok', failed: 'failed', held: 'held for approval' } as const;
const STATUS_GLYPH = { ok: '✓', failed: '✕', held: '!' } as const;

function StatusIcon({ status }: { status: ToolCallView['status'] }) {
  if (status === 'running') return <Spinner />;
  return (
    <span className={`status-icon status-${status}`} aria-hidden="true">
      {STATUS_GLYPH[status]}
    </span>
  );
}

/** One tool call: what ran where, whether it worked, how long it took; the arguments on demand. */
export function ToolCallCard({ call }: { call: ToolCallView }) {
  const [expanded, setExpanded] = useState(false);
  const argsId = useId();
  const hasArgs = Object.keys(call.args).length > 0;
  // run_command's command is what the operator most wants to see: shown without expanding.
  const command = typeof call.args.command === 'string' ? call.args.command : null;
  return (
    <li className={`tool-card tool-${call.status}`} data-tool={call.tool} data-status={call.status}>
      <button type="button" className="tool-head" aria-expanded={expanded} aria-controls={argsId} onClick={() => setExpanded((v) => !v)}>
        <StatusIcon status={call.status} />
        <code className="tool-name">{call.tool}</code>
        {call.host && (
          <span className="tool-host">
            on <EscapedText text={call.host} />
          </span>
        )}
        <span className={`tool-status status-text-${call.status}`}>{STATUS_TEXT[call.status]}</span>
        {call.durationMs !== null && <span className="tool-duration">{formatDuration(call.durationMs)}</span>}
        <span className="tool-chevron" aria-hidden="true">
          {expanded ? '▾' : '▸'}
        </span>
      </button>
      {command !== null && (
        <pre className="tool-command" aria-label="Command">
          <span aria-hidden="true">$ </span>
          <EscapedText text={command} multiline />
        </pre>
      )}
      {/* Summaries quote host output: control characters are shown, not obeyed. */}
      {call.summary && (
        <p className="tool-summary">
          <EscapedText text={call.summary} multiline />
        </p>
      )}
      {call.error && call.status !== 'held' && (
        <p className="tool-error">
          <code>{call.error.code}</code> <EscapedText text={call.error.message} multiline />
        </p>
      )}
      {call.findings && call.findings.length > 0 && <FindingsList findings={call.findings} />}
      {call.table && <DataTable table={call.table} />}
      {call.commands && call.commands.length > 0 && <CommandRuns runs={call.commands} open={command !== null} />}
      <div id={argsId} hidden={!expanded} className="tool-args">
        <span className="tool-args-label">Arguments</span>
        <pre>{hasArgs ? <EscapedText text={JSON.stringify(call.args, null, 2)} multiline /> : '{} (defaults)'}</pre>
      </div>
    </li>
  );
}
