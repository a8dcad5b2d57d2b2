// The settings feature's public surface; the app shell imports only this.
export { SettingsView } from './components/SettingsView';
export { SettingsStoreProvider } from './context';
export { createSettingsStore, type SettingsStore } from './store';
