import { useEffect } from 'react';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { Spinner } from '../../../app/components/Spinner';
import { useSettings } from '../context';
import { AddProviderForm } from './AddProviderForm';
import { ProviderCard } from './ProviderCard';

/** Operator settings: the model providers the agent may use. */
export function SettingsView() {
  const providers = useSettings((s) => s.providers);
  const loading = useSettings((s) => s.loading);
  const error = useSettings((s) => s.error);
  const load = useSettings((s) => s.load);
  const dismissError = useSettings((s) => s.dismissError);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <main className="page" aria-labelledby="settings-title">
      <div className="page-inner">
        <header className="page-header">
          <h1 id="settings-title" className="page-title">
            Settings
          </h1>
        </header>
        <section className="panel" aria-labelledby="providers-title">
          <div className="panel-head">
            <div>
              <h2 id="providers-title" className="section-title">
                Model providers
              </h2>
              <p className="muted">
                OpenAI or any OpenAI-compatible endpoint. Keys live in the OS keychain (or come from <code>OPENAI_API_KEY</code>) and are only ever shown masked.
              </p>
            </div>
            <button type="button" className="button button-secondary button-small" onClick={() => void load()} disabled={loading}>
              {loading ? <Spinner size={12} /> : null} Refresh
            </button>
          </div>
          {error && <ErrorMessage error={error} onDismiss={dismissError} />}
          {providers === null ? (
            loading && (
              <p className="loading" role="status">
                <Spinner /> Loading providers…
              </p>
            )
          ) : providers.length === 0 ? (
            <p className="empty-panel muted">No provider yet: Fleetmind answers with its offline engine. Add one below, or start it with OPENAI_API_KEY or OPENAI_BASE_URL set.</p>
          ) : (
            <ul className="provider-list" aria-label="Providers">
              {providers.map((p) => (
                <ProviderCard key={p.name} provider={p} />
              ))}
            </ul>
          )}
          <AddProviderForm />
        </section>
      </div>
    </main>
  );
}
