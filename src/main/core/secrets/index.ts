/**
 * secrets: API keys in the OS keychain (DESIGN.md; issue 5 item 1). Keys never reach
 * disk, logs, the audit log, the renderer or an API response: show them with
 * redactSecret() only.
 */
export {
  SecretStoreError,
  validateAccount,
  validateSecret,
  type SecretStore,
  type SecretStoreErrorCode,
  type SecretStoreStatus,
} from './types';
export { redactSecret, scrubSecret } from './redact';
export {
  KeyringSecretStore,
  KEYRING_SERVICE,
  STATUS_PROBE_ACCOUNT,
  classifyKeyringError,
  keyringBackendName,
  type KeyringSecretStoreOptions,
} from './keyring-store';
export { MemorySecretStore, type MemorySecretStoreOptions } from './memory-store';
export {
  resolveApiKey,
  OPENAI_API_KEY_ENV,
  type ApiKeyResolution,
  type ApiKeySource,
  type ResolveApiKeyOptions,
} from './resolve-api-key';
export { probeDbusSessionBus, parseDbusAddress, type BusProbeResult } from './dbus-preflight';
