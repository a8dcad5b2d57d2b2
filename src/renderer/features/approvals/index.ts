// The approvals feature's public surface; the app shell imports only this.
export { ApprovalDialog } from './components/ApprovalDialog';
export { ApprovalsBadge } from './components/ApprovalsBadge';
export { ApprovalsStoreProvider } from './context';
export { createApprovalsStore, type ApprovalSettlement, type ApprovalsStore } from './store';
