import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import { useFleet } from '../context';

const STATUS_TEXT = { trusted: 'trusted', unknown: 'not known yet', mismatch: 'DIFFERENT from the key on record', revoked: 'revoked' } as const;

/**
 * Confirming a host key: the key the host presents now is shown first; Trust records it
 * only if the host still presents that fingerprint (the server checks again).
 */
export function HostKeyPanel() {
  const check = useFleet((s) => s.keyCheck);
  const trust = useFleet((s) => s.trustKey);
  const close = useFleet((s) => s.closeKeyCheck);
  if (!check) return null;
  const scan = check.scan;
  return (
    <section className="panel host-key-panel" role="group" aria-label={`Host key of ${check.host}`} data-host={check.host}>
      <div className="panel-head">
        <h2 className="section-title">
          Host key of <EscapedText text={check.host} />
        </h2>
        <button type="button" className="icon-button" onClick={close} aria-label="Close">
          ×
        </button>
      </div>
      {check.scanning && (
        <p className="loading" role="status">
          <Spinner /> Asking the host for its key…
        </p>
      )}
      {scan && (
        <dl className="host-key-facts">
          <dt>Endpoint</dt>
          <dd>
            <code>
              <EscapedText text={scan.endpoint} />
            </code>
          </dd>
          <dt>Key</dt>
          <dd>
            <code className="host-key-fingerprint">
              <EscapedText text={`${scan.keyType} ${scan.fingerprint}`} />
            </code>
          </dd>
          <dt>Status</dt>
          <dd className={`host-key-status host-key-${scan.status}`} data-status={scan.status}>
            {STATUS_TEXT[scan.status]}
          </dd>
          {scan.expected.length > 0 && (
            <>
              <dt>On record</dt>
              <dd>
                {scan.expected.map((e) => (
                  <div key={`${e.fingerprint}${e.source}`}>
                    <code>
                      <EscapedText text={`${e.keyType} ${e.fingerprint}`} />
                    </code>{' '}
                    <span className="muted">
                      (<EscapedText text={e.source} />)
                    </span>
                  </div>
                ))}
              </dd>
            </>
          )}
        </dl>
      )}
      {scan?.status === 'mismatch' && (
        <p className="form-problem" role="note">
          The host presents a different key from the one on record. Trust it only if you know the host was reinstalled or its key rotated; otherwise someone may be
          in between.
        </p>
      )}
      {check.error && <ErrorMessage error={check.error} title="Host key not confirmed" />}
      {check.trusted && scan && (
        <p className="form-success" role="status">
          Trusted {scan.fingerprint}.
        </p>
      )}
      {scan && !check.trusted && (
        <div className="form-actions">
          <button type="button" className="button button-primary" onClick={() => void trust()} disabled={check.trusting}>
            {check.trusting ? <Spinner size={12} /> : null} Trust this key
          </button>
        </div>
      )}
    </section>
  );
}
