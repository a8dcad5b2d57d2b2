import type { ApiError } from '../../../shared/protocol';

const HEADINGS: Partial<Record<ApiError['code'], string>> = {
  unavailable: 'Cannot reach Fleetmind',
  unauthorized: 'Not signed in',
  forbidden: 'Refused',
  not_found: 'Not found',
  unknown_host: 'Unknown host',
  bad_request: 'Request not accepted',
  payload_too_large: 'Message too long',
  timeout: 'Timed out',
  internal: 'Something went wrong',
};

/**
 * One way to show every typed error: a readable heading, the server's message, the code
 * for bug reports. `title` replaces the heading when the action that failed says more.
 */
export function ErrorMessage({ error, onDismiss, title }: { error: ApiError; onDismiss?: () => void; title?: string }) {
  return (
    <div className="error" role="alert">
      <div className="error-body">
        <strong className="error-title">{title ?? HEADINGS[error.code] ?? 'Error'}</strong>
        <span className="error-text">{error.message}</span>
        <code className="error-code">{error.code}</code>
      </div>
      {onDismiss && (
        <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss error">
          ×
        </button>
      )}
    </div>
  );
}
