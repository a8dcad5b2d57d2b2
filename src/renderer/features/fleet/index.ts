// The fleet feature's public surface; the app shell imports only this.
export { FleetView } from './components/FleetView';
export { FleetStoreProvider } from './context';
export { createFleetStore, type FleetStore } from './store';
