import { useId, useState, type FormEvent } from 'react';
import type { ApiError, HostImportResult } from '../../../../shared/protocol';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import { useFleet } from '../context';
import { isApiError } from '../store';

/** Adds one SSH host (as `fleetmind hosts add`); the server validates every field. */
export function AddHostForm({ onDone }: { onDone: () => void }) {
  const addHost = useFleet((s) => s.addHost);
  const id = useId();
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [port, setPort] = useState('22');
  const [user, setUser] = useState('');
  const [tags, setTags] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const failure = await addHost({
      name: name.trim(),
      address: address.trim(),
      port: Number(port) || 22,
      user: user.trim() || null,
      tags: tags
        .split(/[,\s]+/)
        .map((t) => t.trim())
        .filter(Boolean),
    });
    setBusy(false);
    setError(failure);
    if (!failure) onDone();
  };

  return (
    <form className="panel fleet-form" aria-label="Add a host" onSubmit={(e) => void submit(e)}>
      <h2 className="section-title">Add a host</h2>
      <div className="fleet-form-grid">
        <div className="form-field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="web-1" autoComplete="off" spellCheck={false} required />
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-address`}>Address</label>
          <input id={`${id}-address`} value={address} onChange={(e) => setAddress(e.target.value)} placeholder="10.0.0.5" autoComplete="off" spellCheck={false} required />
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-port`}>Port</label>
          <input id={`${id}-port`} value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" autoComplete="off" />
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-user`}>User</label>
          <input id={`${id}-user`} value={user} onChange={(e) => setUser(e.target.value)} placeholder="default: yours" autoComplete="off" spellCheck={false} />
        </div>
        <div className="form-field">
          <label htmlFor={`${id}-tags`}>Tags</label>
          <input id={`${id}-tags`} value={tags} onChange={(e) => setTags(e.target.value)} placeholder="web, prod" autoComplete="off" spellCheck={false} />
        </div>
      </div>
      <p className="form-hint">A new host's key is not trusted until you confirm it (Trust key in the list).</p>
      {error && <ErrorMessage error={error} title="Host not added" />}
      <div className="form-actions">
        <button type="button" className="button button-secondary" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy || !name.trim() || !address.trim()}>
          {busy ? <Spinner size={12} /> : null} Add host
        </button>
      </div>
    </form>
  );
}

/** Imports an ssh_config or an Ansible inventory pasted (or read from a file); nothing is removed. */
export function ImportHostsForm({ onDone }: { onDone: () => void }) {
  const importHosts = useFleet((s) => s.importHosts);
  const id = useId();
  const [kind, setKind] = useState<'ssh-config' | 'ansible'>('ssh-config');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [result, setResult] = useState<HostImportResult | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const outcome = await importHosts({ kind, text });
    setBusy(false);
    if (isApiError(outcome)) {
      setError(outcome);
      setResult(null);
    } else {
      setError(null);
      setResult(outcome);
    }
  };

  const readFile = async (file: File | undefined) => {
    if (file) setText(await file.text());
  };

  return (
    <form className="panel fleet-form" aria-label="Import hosts" onSubmit={(e) => void submit(e)}>
      <h2 className="section-title">Import hosts</h2>
      <div className="segmented" role="radiogroup" aria-label="Format">
        <button type="button" role="radio" aria-checked={kind === 'ssh-config'} className="segment" onClick={() => setKind('ssh-config')}>
          ssh_config
        </button>
        <button type="button" role="radio" aria-checked={kind === 'ansible'} className="segment" onClick={() => setKind('ansible')}>
          Ansible inventory
        </button>
      </div>
      <div className="form-field">
        <label htmlFor={`${id}-text`}>{kind === 'ssh-config' ? 'ssh_config text' : 'Inventory (INI or YAML)'}</label>
        <textarea id={`${id}-text`} className="fleet-import-text" value={text} onChange={(e) => setText(e.target.value)} rows={8} spellCheck={false} />
        <input type="file" aria-label="Read from a file" onChange={(e) => void readFile(e.target.files?.[0])} />
      </div>
      {error && <ErrorMessage error={error} title="Nothing imported" />}
      {result && (
        <div className="form-success" role="status">
          <span>
            Added {result.added.length}, updated {result.updated.length}.
            {result.warnings.map((w, i) => (
              <span key={i} className="fleet-import-warning">
                <br />
                <EscapedText text={w} />
              </span>
            ))}
          </span>
        </div>
      )}
      <div className="form-actions">
        <button type="button" className="button button-secondary" onClick={onDone}>
          Close
        </button>
        <button type="submit" className="button button-primary" disabled={busy || !text.trim()}>
          {busy ? <Spinner size={12} /> : null} Import
        </button>
      </div>
    </form>
  );
}
