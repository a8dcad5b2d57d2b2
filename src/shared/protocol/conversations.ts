import { z } from 'zod';
import { EngineSchema, ToolCallRecordSchema } from './chat';

export const MessageRoleSchema = z.enum(['user', 'assistant', 'system', 'tool']);

export const StoredMessageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  role: MessageRoleSchema,
  content: z.string(),
  engine: EngineSchema.nullable(),
  createdAt: z.string(),
  toolCalls: z.array(ToolCallRecordSchema),
});
export type StoredMessage = z.infer<typeof StoredMessageSchema>;

export const ConversationSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  host: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messageCount: z.number().int().nonnegative(),
});
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;

export const ConversationListSchema = z.object({ conversations: z.array(ConversationSummarySchema) });
export type ConversationList = z.infer<typeof ConversationListSchema>;

export const ConversationDetailSchema = ConversationSummarySchema.extend({
  messages: z.array(StoredMessageSchema),
});
export type ConversationDetail = z.infer<typeof ConversationDetailSchema>;
