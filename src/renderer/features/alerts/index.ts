// The alerts feature's public surface; the app shell imports only this.
export { AlertsView } from './components/AlertsView';
export { AlertsBadge } from './components/AlertsBadge';
export { createAlertsStore, groupAlerts, silenceMatchersFor, type AlertsStore } from './store';
