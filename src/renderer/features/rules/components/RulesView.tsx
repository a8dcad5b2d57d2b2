import { useEffect, useId } from 'react';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import { useRules } from '../context';
import { scopeText } from '../format';
import { RuleRow } from './RuleRow';

/**
 * Remembered approval rules ("approve and remember"): each lets one exact command run
 * without asking on a host or a tag's hosts, while the policy judges it as it did when
 * remembered. Revoking one makes the command ask again.
 */
export function RulesView() {
  const rules = useRules((s) => s.rules);
  const loaded = useRules((s) => s.loaded);
  const loading = useRules((s) => s.loading);
  const error = useRules((s) => s.error);
  const revoked = useRules((s) => s.revoked);
  const load = useRules((s) => s.load);
  const dismissError = useRules((s) => s.dismissError);
  const id = useId();

  // Every visit reads the rules afresh: the CLI, the API and other windows change them too.
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <main className="page" aria-labelledby="rules-title">
      <div className="page-inner page-inner-wide">
        <header className="page-header">
          <h1 id="rules-title" className="page-title">
            Remembered approval rules
          </h1>
          <button type="button" className="button button-secondary button-small" onClick={() => void load()} disabled={loading}>
            {loading ? <Spinner size={12} /> : null} Refresh
          </button>
        </header>

        {error && <ErrorMessage error={error} onDismiss={dismissError} title={error.code === 'not_found' ? 'Rule not found' : undefined} />}
        <p className="muted rules-status" role="status" aria-live="polite">
          {revoked && (
            <>
              Revoked: <code>
                <EscapedText text={revoked.command} />
              </code>{' '}
              asks for approval again on {scopeText(revoked)}.
            </>
          )}
        </p>

        {loaded && (
          <section className="panel panel-flush" aria-labelledby={`${id}-rules`}>
            <div className="panel-pad">
              <h2 id={`${id}-rules`} className="section-title">
                Rules
              </h2>
              <p className="muted">
                Each rule lets its exact command run without asking, on one host or every host with a tag, while the safety policy judges it as it did when it was
                remembered. Revoke a rule to be asked again.
              </p>
            </div>
            {rules.length === 0 ? (
              <p className="empty-panel muted panel-pad">No remembered approvals. Approve a request with “remember” to add one.</p>
            ) : (
              <div className="table-scroll">
                <table className="data-table rules-table" aria-label="Remembered approval rules" aria-busy={loading}>
                  <thead>
                    <tr>
                      <th scope="col">Command</th>
                      <th scope="col">Scope</th>
                      <th scope="col">Created</th>
                      <th scope="col">Policy version</th>
                      <th scope="col">Approval</th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rules.map((rule) => (
                      <RuleRow key={rule.id} rule={rule} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        )}
        {!loaded && loading && (
          <p className="loading" role="status">
            <Spinner /> Reading the remembered approvals…
          </p>
        )}
      </div>
    </main>
  );
}
