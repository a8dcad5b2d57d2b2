import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { PlusIcon } from '../../../app/components/PlusIcon';
import { useChat } from '../context';
import { Composer } from './Composer';
import { ConversationSidebar } from './ConversationSidebar';
import { MessageList } from './MessageList';

function ChatToolbar() {
  const isEmpty = useChat((s) => s.messages.length === 0 && !s.loadingConversation && s.conversationId === null);
  const title = useChat(
    (s) => s.conversations.find((c) => c.id === s.conversationId)?.title ?? s.messages.find((m) => m.role === 'user')?.text ?? 'New conversation',
  );
  const newConversation = useChat((s) => s.newConversation);
  return (
    <div className="chat-toolbar">
      <div className="chat-toolbar-inner">
        <h1 className="chat-title" title={title}>
          {title}
        </h1>
        <button type="button" className="button button-secondary" onClick={newConversation} disabled={isEmpty}>
          <PlusIcon /> New conversation
        </button>
      </div>
    </div>
  );
}

/** The chat feature: history (operators only), the conversation and the message box. */
export function ChatView() {
  const operator = useChat((s) => s.operator);
  const notice = useChat((s) => s.notice);
  const dismissNotice = useChat((s) => s.dismissNotice);
  const conversationId = useChat((s) => s.conversationId);
  return (
    <div className={`chat ${operator ? 'chat-with-sidebar' : ''}`}>
      {operator && <ConversationSidebar />}
      <main className="chat-main" data-conversation-id={conversationId ?? ''}>
        <ChatToolbar />
        {notice && (
          <div className="notice">
            <ErrorMessage error={notice} onDismiss={dismissNotice} />
          </div>
        )}
        <MessageList />
        <Composer />
      </main>
    </div>
  );
}
