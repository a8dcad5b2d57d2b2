import type { SentRecord } from '../store';
import type { ChatMessage } from './provider';

export type { SentRecord } from '../store';

/** Told of every request as it leaves for a provider (the privacy report's ledger); must not throw. */
export type SentRecorder = (sent: SentRecord) => void;

const PLACEHOLDER = /\[REDACTED:([A-Za-z0-9_.-]+)#(\d+)\]/g;

/**
 * What a request carries, measured on the messages exactly as they are sent: UTF-8 bytes and,
 * per secret type, how many distinct placeholders are in them (the highest #n: placeholders are
 * numbered per conversation). Secrets redacted at rest earlier in the conversation count too,
 * since their placeholders are what the provider receives in the history.
 */
export function measureSent(messages: readonly ChatMessage[]): { bytes: number; redactions: Record<string, number> } {
  const text = JSON.stringify(messages);
  const redactions: Record<string, number> = {};
  for (const m of text.matchAll(PLACEHOLDER)) {
    const type = m[1] as string;
    const n = Number(m[2]);
    if (n > (redactions[type] ?? 0)) redactions[type] = n;
  }
  return { bytes: Buffer.byteLength(text, 'utf8'), redactions };
}
