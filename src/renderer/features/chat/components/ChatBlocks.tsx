import type { CommandRun, Finding, TableBlock } from '../../../../shared/protocol';
import { EscapedText } from '../../../app/components/EscapedText';

/**
 * Structured parts of an answer (shared/protocol/chat-blocks) as components. Everything in
 * them may come from a host (output, unit names, hostnames): it is rendered as text through
 * EscapedText, so markup stays inert and control, ANSI and bidi characters show as escapes.
 */

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function exitLabel(run: CommandRun): string {
  if (run.error) return run.error.code;
  return run.exitCode === null ? 'no exit code' : `exit ${run.exitCode}`;
}

/** One command on one host: the line says where, what and how it ended; the output opens below. */
function CommandRunItem({ run, open }: { run: CommandRun; open: boolean }) {
  const failed = run.error !== null || (run.exitCode !== null && run.exitCode !== 0);
  const empty = !run.stdout && !run.stderr && !run.error;
  return (
    <li>
      <details className={`command-run${failed ? ' command-failed' : ''}`} data-host={run.host} data-exit-code={run.exitCode ?? undefined} open={open}>
        <summary>
          <span className="command-host">
            <EscapedText text={run.host} />
          </span>
          <code className="command-text">
            <span aria-hidden="true">$ </span>
            <EscapedText text={run.command} />
          </code>
          <span className={`command-exit${failed ? ' status-text-failed' : ' status-text-ok'}`}>{exitLabel(run)}</span>
          <span className="command-duration">{duration(run.durationMs)}</span>
        </summary>
        {run.stdout && (
          <pre className="command-output command-stdout" aria-label="Output">
            <EscapedText text={run.stdout} multiline />
          </pre>
        )}
        {run.stderr && (
          <pre className="command-output command-stderr" aria-label="Error output">
            <EscapedText text={run.stderr} multiline />
          </pre>
        )}
        {run.error && (
          <p className="command-error">
            <code>{run.error.code}</code> <EscapedText text={run.error.message} multiline />
          </p>
        )}
        {empty && <p className="command-empty muted">(no output)</p>}
        {run.truncated && <p className="command-truncated muted">Output was long: only its beginning and end are kept.</p>}
      </details>
    </li>
  );
}

/** The commands a tool call ran. Open by default when the command was the point (run_command). */
export function CommandRuns({ runs, open }: { runs: CommandRun[]; open: boolean }) {
  return (
    <details className="tool-commands" open={open}>
      <summary>
        Commands run ({runs.length})
      </summary>
      <ul className="command-runs" aria-label="Commands run">
        {runs.map((run, i) => (
          <CommandRunItem key={i} run={run} open={open && runs.length <= 4} />
        ))}
      </ul>
    </details>
  );
}

const SEVERITY_LABEL = { ok: 'OK', info: 'Info', warning: 'Warning', critical: 'Critical' } as const;

export function FindingsList({ findings }: { findings: Finding[] }) {
  return (
    <ul className="findings" aria-label="Findings">
      {findings.map((f, i) => (
        <li key={i} className={`finding finding-${f.severity}`} data-severity={f.severity}>
          <span className="finding-severity">{SEVERITY_LABEL[f.severity]}</span>
          {f.host && (
            <span className="finding-host">
              <EscapedText text={f.host} />
            </span>
          )}
          <span className="finding-title">
            <EscapedText text={f.title} />
          </span>
          {f.detail && (
            <span className="finding-detail">
              <EscapedText text={f.detail} />
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

export function DataTable({ table }: { table: TableBlock }) {
  return (
    <div className="chat-table-wrap">
      <table className="chat-table">
        {table.title && (
          <caption>
            <EscapedText text={table.title} />
          </caption>
        )}
        <thead>
          <tr>
            {table.columns.map((c, i) => (
              <th key={i} scope="col">
                <EscapedText text={c} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr key={r}>
              {table.columns.map((_, c) => {
                const cell = row[c] ?? null;
                return (
                  <td key={c} className={typeof cell === 'number' ? 'num' : undefined}>
                    {cell === null ? <span className="muted">—</span> : <EscapedText text={String(cell)} />}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
