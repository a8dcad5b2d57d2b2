import { memo } from 'react';
import { EngineBadge } from '../../../app/components/EngineBadge';
import { ErrorMessage } from '../../../app/components/ErrorMessage';
import { EscapedText } from '../../../app/components/EscapedText';
import { Spinner } from '../../../app/components/Spinner';
import type { MessageView } from '../model';
import { ApprovalNotice } from './ApprovalNotice';
import { ToolCallCard } from './ToolCallCard';

/**
 * One turn of the conversation. Replies are preformatted text, never HTML: the offline
 * engine aligns tables with spaces, and model output must not be able to inject markup.
 */
export const MessageItem = memo(function MessageItem({ message }: { message: MessageView }) {
  const isUser = message.role === 'user';
  const streaming = message.status === 'streaming';
  return (
    <article className={`message message-${message.role}`} data-role={message.role} data-status={message.status} data-continuation={message.continuation ? 'true' : undefined} aria-label={isUser ? 'Your message' : 'Fleetmind reply'}>
      <header className="message-meta">
        <span className="message-author">{isUser ? 'You' : 'Fleetmind'}</span>
        {message.engine && <EngineBadge engine={message.engine} model={message.model} />}
        {message.continuation && <span className="message-continuation">continued after the approval decision</span>}
        {streaming && (
          <span className="message-progress">
            <Spinner size={12} /> {message.toolCalls.some((c) => c.status === 'running') ? 'running tools…' : 'working…'}
          </span>
        )}
      </header>
      {message.toolCalls.length > 0 && (
        <ul className="tool-list" aria-label="Tool calls">
          {message.toolCalls.map((call) => (
            <ToolCallCard key={call.id} call={call} />
          ))}
        </ul>
      )}
      {message.approvals.map((approval) => (
        <ApprovalNotice key={approval.id} approval={approval} />
      ))}
      {isUser ? (
        <p className="user-text">{message.text}</p>
      ) : (
        message.text && (
          <pre className="reply">
            <EscapedText text={message.text} multiline />
          </pre>
        )
      )}
      {message.error && <ErrorMessage error={message.error} />}
      {message.status === 'stopped' && <p className="muted">Stopped before the answer was complete.</p>}
    </article>
  );
});
