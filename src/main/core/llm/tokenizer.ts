import { createRequire } from 'node:module';

type Encode = (text: string) => number[];
let encode: Encode | null = null;

/** The encoder tables take ~70 MB: load them on first use, so the offline engine never pays for them. */
function encoder(): Encode {
  encode ??= (createRequire(import.meta.url)('gpt-tokenizer') as { encode: Encode }).encode;
  return encode;
}

/**
 * Token counts with the o200k encoding (GPT-4o and later). Other model families
 * tokenise differently; counts are kept conservative with a per-message overhead
 * and the context budget keeps a safety margin.
 */
const PER_MESSAGE_OVERHEAD = 4;

export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : encoder()(text).length;
}

export interface CountableMessage {
  role: string;
  content?: string | null | unknown;
  tool_calls?: { function: { name: string; arguments: string } }[];
}

export function countMessageTokens(message: CountableMessage): number {
  let n = PER_MESSAGE_OVERHEAD;
  if (typeof message.content === 'string') n += countTextTokens(message.content);
  for (const call of message.tool_calls ?? []) n += countTextTokens(call.function.name) + countTextTokens(call.function.arguments) + 3;
  return n;
}

export function countMessagesTokens(messages: readonly CountableMessage[]): number {
  return messages.reduce((sum, m) => sum + countMessageTokens(m), 3);
}
