// The chat feature's public surface; the app shell imports only this.
export { ChatView } from './components/ChatView';
export { ChatStoreProvider } from './context';
export { createChatStore, type ApprovalOutcome, type ApprovalSettled, type ChatHooks, type ChatStore } from './store';
