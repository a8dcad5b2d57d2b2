import type { ChatEvent } from '../../../shared/protocol';
import { toolCallFromRecord, type MessageView } from './model';

/**
 * Folds one stream event into the assistant message being produced. Pure, so the
 * store stays a thin shell and the event contract is testable without a DOM.
 */
export function applyChatEvent(message: MessageView, event: ChatEvent): MessageView {
  switch (event.type) {
    case 'token':
      return { ...message, text: message.text + event.text };
    case 'tool_call':
      if (message.toolCalls.some((c) => c.id === event.id)) return message;
      return {
        ...message,
        toolCalls: [
          ...message.toolCalls,
          { id: event.id, tool: event.tool, host: event.host, args: event.args, status: 'running', durationMs: null, summary: null, error: null },
        ],
      };
    case 'tool_result': {
      const finished = toolCallFromRecord(event.call);
      const known = message.toolCalls.some((c) => c.id === finished.id);
      return {
        ...message,
        toolCalls: known ? message.toolCalls.map((c) => (c.id === finished.id ? finished : c)) : [...message.toolCalls, finished],
      };
    }
    case 'approval_required':
      return { ...message, approvals: [...message.approvals.filter((a) => a.id !== event.approval.id), event.approval] };
    case 'usage':
      return { ...message, model: event.usage.model ?? message.model };
    case 'done': {
      const { response } = event;
      // The final response is authoritative: it replaces whatever the tokens assembled.
      return {
        ...message,
        text: response.reply,
        engine: response.engine,
        model: response.usage.model ?? message.model,
        toolCalls: response.toolCalls.length > 0 ? response.toolCalls.map(toolCallFromRecord) : message.toolCalls,
        approvals: response.pendingApprovals.length > 0 ? response.pendingApprovals : message.approvals,
        status: 'complete',
      };
    }
    case 'error':
      return { ...message, status: 'failed', error: event.error, toolCalls: message.toolCalls.map(settleRunning) };
  }
}

/** A card still spinning when its turn failed or stopped will never finish: show it as failed. */
export function settleRunning(call: MessageView['toolCalls'][number]): MessageView['toolCalls'][number] {
  return call.status === 'running' ? { ...call, status: 'failed' } : call;
}
