import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, ChatEvent, ConversationSummary, PendingApproval } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';
import { LiveEventRouter } from './live-events';
import { messagesFromHistory, type MessageView } from './model';
import { applyChatEvent, settleRunning } from './reduce';

/** What became of an approval a reply asked for, as far as this window knows. */
export type ApprovalOutcome = 'approved' | 'denied' | 'expired';

export interface ApprovalSettled {
  outcome: ApprovalOutcome;
  /** The operator's reason, when one was given (denials tell the agent why). */
  reason: string | null;
}

/** How the chat tells the rest of the app about approvals without importing another feature. */
export interface ChatHooks {
  /** Pending approvals seen in this window's turns or in the open conversation's live events. */
  onApprovalsRequested?(approvals: PendingApproval[]): void;
  /** The operator wants to decide an approval shown in the conversation. */
  onReviewApproval?(id: string): void;
  /** A turn ended (this window's or a continuation): model usage may have changed. */
  onTurnFinished?(): void;
}

export interface ChatState {
  /** The conversation the next message continues; null starts a new one. */
  conversationId: string | null;
  messages: MessageView[];
  /** A turn is in flight; the window runs one at a time. */
  sending: boolean;
  /** The agent is writing a turn nobody in this window asked for (continuing after an approval). */
  continuing: boolean;
  loadingConversation: boolean;
  /** Whether this session may list past conversations (operator). */
  operator: boolean;
  conversations: ConversationSummary[];
  /** Failures outside a turn (loading a conversation or the list). */
  notice: ApiError | null;
  /** Bumped when the user sends or switches conversation, so the message box takes focus then and only then. */
  composerFocusRequest: number;
  approvalOutcomes: Record<string, ApprovalSettled>;
  /** Approvals can be reviewed from the conversation (an operator session with the approvals dialog). */
  canReviewApprovals: boolean;

  setOperator(operator: boolean): void;
  send(text: string): Promise<void>;
  stop(): void;
  newConversation(): void;
  openConversation(id: string): Promise<void>;
  refreshConversations(): Promise<void>;
  dismissNotice(): void;
  markApproval(id: string, outcome: ApprovalOutcome, reason?: string | null): void;
  reviewApproval(id: string): void;
  /** Stops following live events (the window is going away). */
  dispose(): void;
}

export type ChatStore = StoreApi<ChatState>;

let localKeys = 0;
const nextKey = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(localKeys++).toString(36)}`;

const emptyAssistant = (key: string): MessageView => ({
  key,
  role: 'assistant',
  text: '',
  engine: null,
  model: null,
  toolCalls: [],
  approvals: [],
  status: 'streaming',
  error: null,
});

/** The chat slice: conversation state plus the actions that drive the transport. */
export function createChatStore(transport: Transport, hooks: ChatHooks = {}): ChatStore {
  let inFlight: AbortController | null = null;
  // Bumped whenever the visible conversation changes, so late answers for an old one are dropped.
  let generation = 0;
  // The open conversation's live events (the agent continuing after an approval).
  let watching: { conversationId: string; stop: () => void } | null = null;
  // The message a turn nobody here asked for is written into.
  let continuationKey: string | null = null;

  return createStore<ChatState>()((set, get) => {
    const updateMessage = (key: string, update: (message: MessageView) => MessageView) =>
      set((state) => ({ messages: state.messages.map((m) => (m.key === key ? update(m) : m)) }));

    const noteApprovals = (event: ChatEvent) => {
      if (event.type === 'approval_required') hooks.onApprovalsRequested?.([event.approval]);
      if (event.type === 'done' && event.response.pendingApprovals.length > 0) hooks.onApprovalsRequested?.(event.response.pendingApprovals);
    };

    const applyContinuation = (events: ChatEvent[]) => {
      for (const event of events) {
        if (event.conversationId !== get().conversationId) continue;
        noteApprovals(event);
        let key = continuationKey;
        if (!key) {
          const created = nextKey('continuation');
          key = created;
          continuationKey = created;
          set((state) => ({ messages: [...state.messages, { ...emptyAssistant(created), continuation: true }], continuing: true }));
        }
        updateMessage(key, (m) => applyChatEvent(m, event));
        if (event.type === 'done' || event.type === 'error') {
          continuationKey = null;
          set({ continuing: false });
          hooks.onTurnFinished?.();
          if (get().operator) void get().refreshConversations();
        }
      }
    };

    const router = new LiveEventRouter(applyContinuation);

    const endContinuation = () => {
      if (continuationKey) {
        const key = continuationKey;
        updateMessage(key, (m) => (m.status === 'streaming' ? { ...m, status: 'stopped', toolCalls: m.toolCalls.map(settleRunning) } : m));
      }
      continuationKey = null;
    };

    /** Follows the live events of the conversation on screen, and of no other. */
    const watch = (conversationId: string | null) => {
      if (watching?.conversationId === conversationId) return;
      watching?.stop();
      watching = null;
      router.reset();
      endContinuation();
      set({ continuing: false });
      // A new conversation becomes known during its first turn, which is ours.
      if (get().sending) router.ownTurnStarted();
      if (conversationId) watching = { conversationId, stop: transport.subscribeConversation(conversationId, (event) => router.live(event)) };
    };

    return {
      conversationId: null,
      messages: [],
      sending: false,
      continuing: false,
      loadingConversation: false,
      operator: false,
      conversations: [],
      notice: null,
      composerFocusRequest: 0,
      approvalOutcomes: {},
      canReviewApprovals: false,

      setOperator(operator) {
        set({ operator, canReviewApprovals: operator && hooks.onReviewApproval !== undefined });
        if (operator) void get().refreshConversations();
      },

      async send(text) {
        const message = text.trim();
        if (!message || get().sending) return;
        const turn = generation;
        const controller = new AbortController();
        inFlight = controller;
        const assistantKey = nextKey('assistant');
        const user: MessageView = { key: nextKey('user'), role: 'user', text: message, engine: null, model: null, toolCalls: [], approvals: [], status: 'complete', error: null };
        // A continuation still being written gives way: its rest arrives with this turn's context.
        endContinuation();
        // Focus follows the question: sent from a suggestion button, it returns to the message box.
        set((state) => ({ messages: [...state.messages, user, emptyAssistant(assistantKey)], sending: true, continuing: false, notice: null, composerFocusRequest: state.composerFocusRequest + 1 }));
        router.ownTurnStarted();

        const conversationId = get().conversationId;
        let ownMessageId: string | null = null;
        try {
          const response = await transport.chat(
            conversationId ? { message, conversationId } : { message },
            (event) => {
              if (turn !== generation) return;
              // Every event names the conversation, so a new one is known (and followed) from the first event on.
              if (event.conversationId && get().conversationId !== event.conversationId) {
                set({ conversationId: event.conversationId });
                watch(event.conversationId);
              }
              if (event.type === 'done') ownMessageId = event.response.messageId;
              noteApprovals(event);
              updateMessage(assistantKey, (m) => applyChatEvent(m, event));
            },
            controller.signal,
          );
          ownMessageId = response.messageId;
          // A server that ignored the stream flag answered with JSON only: its approvals still count.
          if (turn === generation && response.pendingApprovals.length > 0) hooks.onApprovalsRequested?.(response.pendingApprovals);
        } catch (err) {
          if (turn === generation) {
            const error = toApiError(err);
            const stopped = error.code === 'cancelled';
            updateMessage(assistantKey, (m) =>
              m.status === 'failed' ? m : { ...m, status: stopped ? 'stopped' : 'failed', error: stopped ? null : error, toolCalls: m.toolCalls.map(settleRunning) },
            );
            // The conversation is gone (another data dir, deleted): the next message starts a new one.
            if (error.code === 'not_found' && conversationId) {
              set({ conversationId: null });
              watch(null);
            }
          }
        } finally {
          if (inFlight === controller) inFlight = null;
          if (turn === generation) {
            router.ownTurnEnded(ownMessageId);
            set({ sending: false });
          }
        }
        hooks.onTurnFinished?.();
        if (turn === generation && get().operator) void get().refreshConversations();
      },

      stop() {
        if (inFlight) {
          inFlight.abort();
          return;
        }
        const { continuing, conversationId } = get();
        if (continuing && conversationId) {
          // The server ends the turn with a `cancelled` error event, which settles the message.
          transport.cancelTurn(conversationId).catch((err: unknown) => set({ notice: toApiError(err) }));
        }
      },

      newConversation() {
        generation++;
        inFlight?.abort();
        inFlight = null;
        set((state) => ({
          conversationId: null,
          messages: [],
          sending: false,
          loadingConversation: false,
          notice: null,
          composerFocusRequest: state.composerFocusRequest + 1,
        }));
        watch(null);
      },

      async openConversation(id) {
        if (id === get().conversationId && !get().loadingConversation) return;
        const turn = ++generation;
        inFlight?.abort();
        inFlight = null;
        set({ conversationId: id, messages: [], sending: false, loadingConversation: true, notice: null });
        // Subscribed before loading, so a continuation that starts meanwhile is not lost.
        watch(id);
        try {
          const detail = await transport.getConversation(id);
          if (turn === generation) {
            set((state) => ({
              // A continuation still being written while this loaded is not stored yet; a finished one is.
              messages: [...messagesFromHistory(detail.messages), ...state.messages.filter((m) => m.status === 'streaming')],
              loadingConversation: false,
              composerFocusRequest: state.composerFocusRequest + 1,
            }));
          }
        } catch (err) {
          if (turn === generation) {
            set({ conversationId: null, loadingConversation: false, notice: toApiError(err) });
            watch(null);
          }
        }
      },

      async refreshConversations() {
        try {
          const { conversations } = await transport.listConversations();
          set({ conversations });
        } catch (err) {
          set({ notice: toApiError(err) });
        }
      },

      dismissNotice() {
        set({ notice: null });
      },

      markApproval(id, outcome, reason = null) {
        set((state) => ({ approvalOutcomes: { ...state.approvalOutcomes, [id]: { outcome, reason } } }));
      },

      reviewApproval(id) {
        hooks.onReviewApproval?.(id);
      },

      dispose() {
        watch(null);
      },
    };
  });
}
