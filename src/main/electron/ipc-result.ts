import type { ApiError } from '../../shared/protocol';

/**
 * How main answers an invoke: Electron flattens a thrown error into a message string,
 * so typed failures travel as values. Kept in step with src/preload/ipc-result.ts, which
 * validates it (neither side may import the other).
 */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };
