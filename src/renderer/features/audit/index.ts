// The audit feature's public surface; the app shell imports only this.
export { AuditView } from './components/AuditView';
export { AuditStoreProvider } from './context';
export { createAuditStore, type AuditStore } from './store';
