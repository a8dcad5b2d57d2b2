// The MCP feature's public surface; the app shell imports only this.
export { McpView } from './components/McpView';
export { createMcpStore, toolPolicy, withToolPolicy, type McpStore } from './store';
