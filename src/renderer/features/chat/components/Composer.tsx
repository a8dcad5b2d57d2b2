import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { MAX_MESSAGE_CHARS } from '../../../../shared/protocol';
import { useChat } from '../context';

/**
 * The message box: Enter sends, Shift+Enter adds a line, Escape stops the answer in
 * progress (also one the agent is writing by itself after an approval was decided).
 */
export function Composer() {
  const send = useChat((s) => s.send);
  const stop = useChat((s) => s.stop);
  const sending = useChat((s) => s.sending);
  const continuing = useChat((s) => s.continuing);
  const busy = sending || continuing;
  const focusRequest = useChat((s) => s.composerFocusRequest);
  const [text, setText] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);

  // Switching or starting a conversation puts the cursor back where the next question goes.
  useEffect(() => {
    if (focusRequest > 0) input.current?.focus();
  }, [focusRequest]);

  // Grow with the text up to the CSS max-height, then scroll.
  useEffect(() => {
    const element = input.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${element.scrollHeight}px`;
  }, [text]);

  const canSend = text.trim().length > 0 && !busy;
  const submit = () => {
    if (!canSend) return;
    void send(text);
    setText('');
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // isComposing: Enter also confirms an IME candidate; that must not send.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && busy) {
      event.preventDefault();
      stop();
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit} aria-label="Send a message">
      <label htmlFor="composer-input" className="sr-only">
        Message
      </label>
      <div className="composer-box">
        <textarea
          id="composer-input"
          ref={input}
          rows={1}
          value={text}
          maxLength={MAX_MESSAGE_CHARS}
          placeholder="Ask about your servers, e.g. “Show server status”"
          aria-describedby="composer-hint"
          autoFocus
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
        />
        {busy ? (
          <button type="button" className="button button-secondary" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="button button-primary" disabled={!canSend}>
            Send
          </button>
        )}
      </div>
      <p id="composer-hint" className="composer-hint">
        {continuing && <span className="composer-status">Fleetmind is continuing after the approval decision · </span>}
        <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line{busy ? ' · Esc to stop' : ''}
      </p>
    </form>
  );
}
