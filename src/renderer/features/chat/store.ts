import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiError, ConversationSummary } from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';
import { messagesFromHistory, type MessageView } from './model';
import { applyChatEvent, settleRunning } from './reduce';

export interface ChatState {
  /** The conversation the next message continues; null starts a new one. */
  conversationId: string | null;
  messages: MessageView[];
  /** A turn is in flight; the window runs one at a time. */
  sending: boolean;
  loadingConversation: boolean;
  /** Whether this session may list past conversations (operator). */
  operator: boolean;
  conversations: ConversationSummary[];
  /** Failures outside a turn (loading a conversation or the list). */
  notice: ApiError | null;
  /** Bumped when the user sends or switches conversation, so the message box takes focus then and only then. */
  composerFocusRequest: number;

  setOperator(operator: boolean): void;
  send(text: string): Promise<void>;
  stop(): void;
  newConversation(): void;
  openConversation(id: string): Promise<void>;
  refreshConversations(): Promise<void>;
  dismissNotice(): void;
}

export type ChatStore = StoreApi<ChatState>;

let localKeys = 0;
const nextKey = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(localKeys++).toString(36)}`;

/** The chat slice: conversation state plus the actions that drive the transport. */
export function createChatStore(transport: Transport): ChatStore {
  let inFlight: AbortController | null = null;
  // Bumped whenever the visible conversation changes, so late answers for an old one are dropped.
  let generation = 0;

  return createStore<ChatState>()((set, get) => {
    const updateMessage = (key: string, update: (message: MessageView) => MessageView) =>
      set((state) => ({ messages: state.messages.map((m) => (m.key === key ? update(m) : m)) }));

    return {
      conversationId: null,
      messages: [],
      sending: false,
      loadingConversation: false,
      operator: false,
      conversations: [],
      notice: null,
      composerFocusRequest: 0,

      setOperator(operator) {
        set({ operator });
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
        const assistant: MessageView = { key: assistantKey, role: 'assistant', text: '', engine: null, model: null, toolCalls: [], approvals: [], status: 'streaming', error: null };
        // Focus follows the question: sent from a suggestion button, it returns to the message box.
        set((state) => ({ messages: [...state.messages, user, assistant], sending: true, notice: null, composerFocusRequest: state.composerFocusRequest + 1 }));

        const conversationId = get().conversationId;
        try {
          await transport.chat(
            conversationId ? { message, conversationId } : { message },
            (event) => {
              if (turn !== generation) return;
              // Every event names the conversation, so a new one is known from the first event on.
              if (event.conversationId && get().conversationId !== event.conversationId) set({ conversationId: event.conversationId });
              updateMessage(assistantKey, (m) => applyChatEvent(m, event));
            },
            controller.signal,
          );
        } catch (err) {
          if (turn === generation) {
            const error = toApiError(err);
            const stopped = error.code === 'cancelled';
            updateMessage(assistantKey, (m) =>
              m.status === 'failed' ? m : { ...m, status: stopped ? 'stopped' : 'failed', error: stopped ? null : error, toolCalls: m.toolCalls.map(settleRunning) },
            );
            // The conversation is gone (another data dir, deleted): the next message starts a new one.
            if (error.code === 'not_found' && conversationId) set({ conversationId: null });
          }
        } finally {
          if (inFlight === controller) inFlight = null;
          if (turn === generation) set({ sending: false });
        }
        if (turn === generation && get().operator) void get().refreshConversations();
      },

      stop() {
        inFlight?.abort();
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
      },

      async openConversation(id) {
        if (id === get().conversationId && !get().loadingConversation) return;
        const turn = ++generation;
        inFlight?.abort();
        inFlight = null;
        set({ conversationId: id, messages: [], sending: false, loadingConversation: true, notice: null });
        try {
          const detail = await transport.getConversation(id);
          if (turn === generation) {
            set((state) => ({ messages: messagesFromHistory(detail.messages), loadingConversation: false, composerFocusRequest: state.composerFocusRequest + 1 }));
          }
        } catch (err) {
          if (turn === generation) set({ conversationId: null, loadingConversation: false, notice: toApiError(err) });
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
    };
  });
}
