import { useEffect, useLayoutEffect, useRef } from 'react';
import { Spinner } from '../../../app/components/Spinner';
import { useChat } from '../context';
import { MessageItem } from './MessageItem';

const SUGGESTIONS = ['Show server status', 'Disk usage', 'Top processes by memory', 'Failed services', 'Listening ports', 'What can you do?'];

function EmptyState() {
  const send = useChat((s) => s.send);
  return (
    <div className="empty">
      <h2 className="empty-title">Ask about your servers</h2>
      <p className="muted">Answers come from live data on your hosts. Try one of these:</p>
      <ul className="suggestions" aria-label="Suggested questions">
        {SUGGESTIONS.map((text) => (
          <li key={text}>
            <button type="button" className="suggestion" onClick={() => void send(text)}>
              {text}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The conversation as a live log; it follows new output unless the reader scrolled up. */
export function MessageList() {
  const messages = useChat((s) => s.messages);
  const sending = useChat((s) => s.sending);
  const loading = useChat((s) => s.loadingConversation);
  const scroller = useRef<HTMLDivElement>(null);
  const followOutput = useRef(true);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const onScroll = () => {
      followOutput.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, []);

  // A message the user just sent always brings the view down to it (declared first so it runs first).
  useLayoutEffect(() => {
    followOutput.current = true;
  }, [messages.length]);

  const last = messages[messages.length - 1];
  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && followOutput.current) element.scrollTop = element.scrollHeight;
  }, [messages.length, last?.text, last?.toolCalls.length, last?.status]);

  return (
    <div className="message-scroller" ref={scroller}>
      {loading ? (
        <p className="loading" role="status">
          <Spinner /> Loading conversation…
        </p>
      ) : messages.length === 0 ? (
        <EmptyState />
      ) : (
        <div className="message-list" role="log" aria-label="Conversation" aria-busy={sending} aria-live="polite">
          {messages.map((message) => (
            <MessageItem key={message.key} message={message} />
          ))}
        </div>
      )}
    </div>
  );
}
