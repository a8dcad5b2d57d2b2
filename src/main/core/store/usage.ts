import { randomUUID } from 'node:crypto';
import { keepText, type AtRestRedactor } from './at-rest';
import type { SqliteDatabase } from './database';

export interface LlmCallRecord {
  provider: string;
  model: string;
  task: string;
  conversationId: string | null;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number;
  latencyMs: number;
  ttftMs: number | null;
  local: boolean;
  ok: boolean;
  error: string | null;
}

export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number;
}

export interface UsageRow extends UsageTotals {
  key: string;
}

const TOTALS = `COUNT(*) AS calls, COALESCE(SUM(prompt_tokens),0) AS promptTokens, COALESCE(SUM(completion_tokens),0) AS completionTokens,
  COALESCE(SUM(cached_tokens),0) AS cachedTokens, COALESCE(SUM(cost_usd),0) AS costUsd`;

/** One row per model call: tokens, cost, latency; the source of usage reports and budgets. */
export class UsageRepository {
  constructor(
    private readonly db: SqliteDatabase,
    /** Error texts can quote what was sent or received: redacted before they are stored. */
    private readonly redact: AtRestRedactor = keepText,
  ) {}

  record(call: LlmCallRecord, at: Date = new Date()): void {
    this.db
      .prepare(
        `INSERT INTO llm_calls (id, at, day, provider, model, task, conversation_id, prompt_tokens, completion_tokens, cached_tokens,
           cost_usd, latency_ms, ttft_ms, local, ok, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        randomUUID(),
        at.toISOString(),
        at.toISOString().slice(0, 10),
        call.provider,
        call.model,
        call.task,
        call.conversationId,
        call.promptTokens,
        call.completionTokens,
        call.cachedTokens,
        call.costUsd,
        call.latencyMs,
        call.ttftMs,
        call.local ? 1 : 0,
        call.ok ? 1 : 0,
        call.error === null ? null : this.redact(call.error, call.conversationId),
      );
  }

  /** Spend on remote models since a day (inclusive, YYYY-MM-DD); local models are free and never budgeted. */
  remoteCostSince(day: string): number {
    return (this.db.prepare('SELECT COALESCE(SUM(cost_usd),0) AS c FROM llm_calls WHERE day >= ? AND local = 0').get(day) as { c: number }).c;
  }

  conversationTokens(conversationId: string): number {
    return (
      this.db
        .prepare('SELECT COALESCE(SUM(prompt_tokens + completion_tokens),0) AS t FROM llm_calls WHERE conversation_id = ?')
        .get(conversationId) as { t: number }
    ).t;
  }

  totals(sinceDay?: string): UsageTotals {
    return this.db.prepare(`SELECT ${TOTALS} FROM llm_calls WHERE day >= ?`).get(sinceDay ?? '0000-00-00') as UsageTotals;
  }

  by(dimension: 'day' | 'model' | 'conversation', sinceDay?: string): UsageRow[] {
    const column = dimension === 'day' ? 'day' : dimension === 'model' ? "provider || '/' || model" : "COALESCE(conversation_id, '-')";
    return this.db
      .prepare(`SELECT ${column} AS key, ${TOTALS} FROM llm_calls WHERE day >= ? GROUP BY key ORDER BY key`)
      .all(sinceDay ?? '0000-00-00') as UsageRow[];
  }
}
