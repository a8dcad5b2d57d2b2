import type { UsageRepository } from '../store';
import type { LlmConfig } from './config';

export type BudgetState = 'ok' | 'warning' | 'exceeded';

export interface BudgetStatus {
  state: BudgetState;
  dailySpentUsd: number;
  monthlySpentUsd: number;
  dailyLimitUsd: number | null;
  monthlyLimitUsd: number | null;
  message: string | null;
}

/**
 * Daily and monthly spend limits on remote models, from recorded usage. Past the
 * warning share the operator is told; past the cap remote calls are blocked while
 * local models and the offline engine keep working.
 */
export class BudgetGuard {
  constructor(
    private readonly usage: UsageRepository,
    private readonly budget: LlmConfig['budget'],
  ) {}

  status(now: Date = new Date()): BudgetStatus {
    const today = now.toISOString().slice(0, 10);
    const monthStart = `${today.slice(0, 7)}-01`;
    const daily = this.usage.remoteCostSince(today);
    const monthly = this.usage.remoteCostSince(monthStart);
    const limits: [string, number, number | undefined][] = [
      ['daily', daily, this.budget.dailyUsd],
      ['monthly', monthly, this.budget.monthlyUsd],
    ];
    let state: BudgetState = 'ok';
    let message: string | null = null;
    for (const [name, spent, limit] of limits) {
      if (limit === undefined) continue;
      if (spent >= limit) {
        state = 'exceeded';
        message = `${name} budget of $${limit.toFixed(2)} reached ($${spent.toFixed(4)} spent): remote models are blocked; local models and the offline engine still answer`;
        break;
      }
      if (spent >= limit * this.budget.warnAt && state === 'ok') {
        state = 'warning';
        message = `${name} spend is $${spent.toFixed(4)} of the $${limit.toFixed(2)} budget (${Math.round((spent / limit) * 100)}%)`;
      }
    }
    return { state, dailySpentUsd: daily, monthlySpentUsd: monthly, dailyLimitUsd: this.budget.dailyUsd ?? null, monthlyLimitUsd: this.budget.monthlyUsd ?? null, message };
  }

  conversationTokensLeft(conversationId: string): number {
    return this.budget.conversationTokens - this.usage.conversationTokens(conversationId);
  }
}
