import { useId, useState, type FormEvent } from 'react';
import { AddProviderRequestSchema, type AddProviderRequest } from '../../../../shared/protocol';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { Spinner } from '../../../app/components/Spinner';
import { useSettings } from '../context';

type Field = 'name' | 'baseURL' | 'apiKey';

/**
 * Adds an OpenAI or OpenAI-compatible provider. The API key is sent once: the core puts
 * it in the OS keychain, the field is cleared, and no view ever shows it again.
 */
export function AddProviderForm() {
  const add = useSettings((s) => s.add);
  const adding = useSettings((s) => s.adding);
  const addError = useSettings((s) => s.addError);
  const added = useSettings((s) => s.added);
  const dismissAdded = useSettings((s) => s.dismissAdded);
  // The environment's provider is used only while no other is configured.
  const replacesEnvironment = useSettings((s) => s.providers !== null && s.providers.length > 0 && s.providers.every((p) => p.origin === 'env'));
  const [name, setName] = useState('');
  const [baseURL, setBaseURL] = useState('');
  const [local, setLocal] = useState(false);
  const [apiKey, setApiKey] = useState('');
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const id = useId();

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const request: AddProviderRequest = { name: name.trim() };
    if (baseURL.trim()) request.baseURL = baseURL.trim();
    if (local) request.local = true;
    if (apiKey) request.apiKey = apiKey;
    const parsed = AddProviderRequestSchema.safeParse(request);
    if (!parsed.success) {
      const found: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] as Field | undefined;
        if (field && !found[field]) found[field] = field === 'baseURL' ? 'enter a full URL, e.g. http://127.0.0.1:11434/v1' : issue.message;
      }
      setProblems(found);
      return;
    }
    setProblems({});
    const ok = await add(parsed.data);
    // The key is sent once: it must not linger in the page, whether the core kept it or refused it.
    setApiKey('');
    if (ok) {
      setName('');
      setBaseURL('');
      setLocal(false);
    }
  };

  const describedBy = (field: Field, hint?: string) => [problems[field] ? `${id}-${field}-problem` : null, hint].filter(Boolean).join(' ') || undefined;

  return (
    <form className="add-provider" onSubmit={(event) => void onSubmit(event)} aria-labelledby={`${id}-title`} noValidate>
      <h3 id={`${id}-title`} className="section-subtitle">
        Add a provider
      </h3>
      <div className="form-grid">
        <div className="form-field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="ollama"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={problems.name ? true : undefined}
            aria-describedby={describedBy('name', `${id}-name-hint`)}
          />
          <span id={`${id}-name-hint`} className="form-hint">
            Lower-case letters, digits, - and _
          </span>
          {problems.name && (
            <span id={`${id}-name-problem`} className="form-problem">
              {problems.name}
            </span>
          )}
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-url`}>Base URL</label>
          <input
            id={`${id}-url`}
            value={baseURL}
            onChange={(e) => setBaseURL(e.target.value)}
            placeholder="http://127.0.0.1:11434/v1"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={problems.baseURL ? true : undefined}
            aria-describedby={describedBy('baseURL', `${id}-url-hint`)}
          />
          <span id={`${id}-url-hint`} className="form-hint">
            Any OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, llama.cpp). Empty for OpenAI itself.
          </span>
          {problems.baseURL && (
            <span id={`${id}-baseURL-problem`} className="form-problem">
              {problems.baseURL}
            </span>
          )}
        </div>
        <div className="form-field form-field-key">
          <label htmlFor={`${id}-key`}>API key</label>
          <input
            id={`${id}-key`}
            type="password"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            placeholder="optional for local servers"
            autoComplete="new-password"
            spellCheck={false}
            aria-invalid={problems.apiKey ? true : undefined}
            aria-describedby={describedBy('apiKey', `${id}-key-hint`)}
          />
          <span id={`${id}-key-hint`} className="form-hint">
            Stored in the OS keychain, never on disk or shown again.
          </span>
          {problems.apiKey && (
            <span id={`${id}-apiKey-problem`} className="form-problem">
              {problems.apiKey}
            </span>
          )}
        </div>
        <label className="form-check">
          <input type="checkbox" checked={local} onChange={(e) => setLocal(e.target.checked)} />
          <span>
            Local model <span className="form-hint">runs on this machine or network: allowed for sensitive hosts, not counted against budgets</span>
          </span>
        </label>
      </div>
      {replacesEnvironment && (
        <p className="form-note" role="note">
          The provider from the environment (<code>OPENAI_BASE_URL</code> / <code>OPENAI_API_KEY</code>) is used only while no other is configured: one added here takes its
          place.
        </p>
      )}
      {addError && <ErrorMessage error={addError} title="Provider not added" />}
      {added && (
        <div className="form-success" role="status">
          <span>
            Added <strong>{added.name}</strong>.{added.restartRequired ? ' Restart Fleetmind to start using it.' : ''}
          </span>
          <button type="button" className="icon-button" onClick={dismissAdded} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={adding || name.trim() === ''}>
          {adding ? <Spinner size={12} /> : null} Add provider
        </button>
      </div>
    </form>
  );
}
