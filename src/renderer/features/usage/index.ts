// The usage feature's public surface; the app shell imports only this.
export { BudgetBanner } from './components/BudgetBanner';
export { UsageView } from './components/UsageView';
export { UsageStoreProvider } from './context';
export { createUsageStore, type UsageStore } from './store';
