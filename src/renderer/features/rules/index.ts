// The remembered-rules feature's public surface; the app shell imports only this.
export { RulesView } from './components/RulesView';
export { RulesStoreProvider } from './context';
export { createRulesStore, type RulesStore } from './store';
