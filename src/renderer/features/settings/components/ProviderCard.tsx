import { useState } from 'react';
import type { ProviderView } from '../../../../shared/protocol';
import { Spinner } from '../../../app/components/Spinner';
import { useSettings } from '../context';

const ORIGIN_TEXT: Record<ProviderView['origin'], { label: string; title: string }> = {
  file: { label: 'config file', title: 'Defined in the Fleetmind config file; edit it there' },
  settings: { label: 'added here', title: 'Added from the UI, CLI or API; kept in the Fleetmind store' },
  env: { label: 'environment', title: 'From OPENAI_BASE_URL / OPENAI_API_KEY in the environment Fleetmind was started with' },
};

const KEY_SOURCE_TEXT: Record<ProviderView['key']['source'], string> = {
  keychain: 'OS keychain',
  env: 'OPENAI_API_KEY',
  none: 'no key',
};

/** One provider: where it points, where its key comes from (masked), and a connection test. */
export function ProviderCard({ provider }: { provider: ProviderView }) {
  const test = useSettings((s) => s.tests[provider.name]);
  const runTest = useSettings((s) => s.test);
  const remove = useSettings((s) => s.remove);
  const removing = useSettings((s) => s.removing === provider.name);
  const [confirming, setConfirming] = useState(false);
  const origin = ORIGIN_TEXT[provider.origin];
  const removable = provider.origin === 'settings';

  return (
    <li className="provider-card" data-provider={provider.name}>
      <div className="provider-head">
        <h3 className="provider-name">{provider.name}</h3>
        <span className="badge badge-neutral" title={origin.title} data-origin={provider.origin}>
          {origin.label}
        </span>
        {provider.local && (
          <span className="badge badge-local" title="Runs on this machine or network: free, allowed for sensitive data, never blocked by budgets">
            local
          </span>
        )}
      </div>
      <dl className="provider-facts">
        <div>
          <dt>Endpoint</dt>
          <dd>
            <code>{provider.baseURL ?? 'https://api.openai.com/v1'}</code>
          </dd>
        </div>
        <div>
          <dt>API key</dt>
          <dd className="provider-key">
            <span className={`key-source key-source-${provider.key.source}`}>{KEY_SOURCE_TEXT[provider.key.source]}</span>
            {provider.key.masked && <code className="key-masked">{provider.key.masked}</code>}
          </dd>
        </div>
      </dl>
      {provider.key.warning && (
        <p className="provider-warning" role="note">
          {provider.key.warning}
        </p>
      )}
      <div className="provider-actions">
        <button type="button" className="button button-secondary button-small" onClick={() => void runTest(provider.name)} disabled={test?.state === 'running'}>
          {test?.state === 'running' ? <Spinner size={12} /> : null} Test connection
        </button>
        {confirming ? (
          <span className="provider-confirm" role="group" aria-label={`Remove ${provider.name}?`}>
            <span>Remove {provider.name}?</span>
            <button type="button" className="button button-danger button-small" onClick={() => void remove(provider.name)} disabled={removing} autoFocus>
              {removing ? <Spinner size={12} /> : null} Remove
            </button>
            <button type="button" className="button button-secondary button-small" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setConfirming(true)}
            disabled={!removable}
            title={removable ? `Remove ${provider.name} and its key from the keychain` : origin.title}
          >
            Remove
          </button>
        )}
        <span className="provider-test" role="status" aria-live="polite">
          {test?.state === 'running' && <span className="muted">Connecting…</span>}
          {test?.state === 'ok' && (
            <span className="test-ok" title={test.models.join(', ')}>
              ✓ Connected · {test.models.length} model{test.models.length === 1 ? '' : 's'} · {Math.round(test.latencyMs)} ms
            </span>
          )}
          {test?.state === 'failed' && (
            <span className="test-failed">
              ✕ {test.error.message} <code className="error-code">{test.error.code}</code>
            </span>
          )}
        </span>
      </div>
      {test?.state === 'ok' && test.models.length > 0 && (
        <details className="provider-models">
          <summary>Models</summary>
          <ul>
            {test.models.map((m) => (
              <li key={m}>
                <code>{m}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}
