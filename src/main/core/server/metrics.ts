import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CoreFacade } from '../services';

/**
 * Prometheus metrics, computed from the store at scrape time so every face's work
 * counts (the CLI writes to the same store). Budget state: 0 ok, 1 warning, 2 exceeded.
 */
export function createMetricsRegistry(core: CoreFacade): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fleetmind_' });
  const budget = () => core.usageReport('day').budget;
  new Gauge({
    name: 'fleetmind_llm_cost_usd',
    help: 'Spend on remote models in the current period, USD',
    labelNames: ['period'],
    registers: [registry],
    collect() {
      const b = budget();
      this.set({ period: 'day' }, b.dailySpentUsd);
      this.set({ period: 'month' }, b.monthlySpentUsd);
    },
  });
  new Gauge({
    name: 'fleetmind_llm_budget_limit_usd',
    help: 'Configured budget per period, USD (absent when unlimited)',
    labelNames: ['period'],
    registers: [registry],
    collect() {
      const b = budget();
      if (b.dailyLimitUsd !== null) this.set({ period: 'day' }, b.dailyLimitUsd);
      if (b.monthlyLimitUsd !== null) this.set({ period: 'month' }, b.monthlyLimitUsd);
    },
  });
  new Gauge({
    name: 'fleetmind_llm_budget_state',
    help: 'Budget state: 0 ok, 1 warning threshold passed, 2 cap reached (remote models blocked)',
    registers: [registry],
    collect() {
      this.set({ ok: 0, warning: 1, exceeded: 2 }[budget().state]);
    },
  });
  new Gauge({
    name: 'fleetmind_llm_calls',
    help: 'Model calls recorded, by provider/model (all time)',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of core.usageReport('model').rows) this.set({ model: row.key }, row.calls);
    },
  });
  new Gauge({
    name: 'fleetmind_llm_tokens',
    help: 'Tokens used by provider/model and kind (all time)',
    labelNames: ['model', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of core.usageReport('model').rows) {
        this.set({ model: row.key, kind: 'prompt' }, row.promptTokens);
        this.set({ model: row.key, kind: 'completion' }, row.completionTokens);
        this.set({ model: row.key, kind: 'cached' }, row.cachedTokens);
      }
    },
  });
  new Gauge({
    name: 'fleetmind_approvals_pending',
    help: 'Commands waiting for an operator decision',
    registers: [registry],
    collect() {
      this.set(core.listApprovals().approvals.length);
    },
  });
  return registry;
}
