// The privacy feature's public surface; the app shell imports only this.
export { PrivacyView } from './components/PrivacyView';
export { createPrivacyStore, formatCounts, formatBytes, type PrivacyStore } from './store';
