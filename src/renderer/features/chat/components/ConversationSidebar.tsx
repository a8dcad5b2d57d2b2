import { useChat } from '../context';

const relativeTime = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatWhen(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (!Number.isFinite(seconds)) return '';
  const abs = Math.abs(seconds);
  if (abs < 60) return 'just now';
  if (abs < 3600) return relativeTime.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relativeTime.format(Math.round(seconds / 3600), 'hour');
  if (abs < 7 * 86_400) return relativeTime.format(Math.round(seconds / 86_400), 'day');
  return new Date(iso).toLocaleDateString();
}

/** Past conversations (operator sessions only): pick one to read and continue it. */
export function ConversationSidebar() {
  const conversations = useChat((s) => s.conversations);
  const current = useChat((s) => s.conversationId);
  const open = useChat((s) => s.openConversation);

  return (
    <nav className="sidebar" aria-label="Conversations">
      <h2 className="sidebar-title">Conversations</h2>
      {conversations.length === 0 ? (
        <p className="sidebar-empty muted">Your conversations will appear here.</p>
      ) : (
        <ul className="conversation-list">
          {conversations.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                className="conversation"
                aria-current={c.id === current ? 'true' : undefined}
                data-conversation-id={c.id}
                onClick={() => void open(c.id)}
              >
                <span className="conversation-title">{c.title}</span>
                <span className="conversation-meta">
                  {formatWhen(c.updatedAt)}
                  {c.host ? ` · ${c.host}` : ''} · {c.messageCount} msg
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
