import type {
  ApiError,
  ChatEvent,
  ChatRequest,
  ChatResponse,
  ConversationDetail,
  ConversationList,
  ErrorCode,
  Health,
} from '../../shared/protocol';

/** What this window may do beyond chatting: the browser learns it from /api/session. */
export interface Session {
  /** Operators can list past conversations (and, later, approve and change settings). */
  operator: boolean;
}

/**
 * The renderer's only way out of the window. Features talk to this interface and never
 * know whether they run in Electron (IPC through the preload) or a browser (HTTP + SSE).
 */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  /**
   * Sends one user turn and reports typed events while the answer is produced. Resolves
   * with the final response; rejects with a TransportError (after an `error` event, if
   * the server sent one).
   */
  chat(request: Omit<ChatRequest, 'stream'>, onEvent: (event: ChatEvent) => void, signal?: AbortSignal): Promise<ChatResponse>;
  health(): Promise<Health>;
  session(): Promise<Session>;
  listConversations(): Promise<ConversationList>;
  getConversation(id: string): Promise<ConversationDetail>;
}

/** Every failure a Transport reports carries the protocol's typed error. */
export class TransportError extends Error {
  readonly code: ErrorCode;

  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = 'TransportError';
    this.code = error.code;
  }
}

/** Turns anything thrown into the protocol's error shape, so the UI renders one kind of error. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof TransportError) return err.error;
  if (err instanceof DOMException && err.name === 'AbortError') return { code: 'cancelled', message: 'stopped' };
  if (err instanceof Error) return { code: 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}
