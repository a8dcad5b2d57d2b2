export * from './errors';
export * from './chat';
export * from './conversations';
export * from './health';
export * from './hosts';
export * from './approvals';
export * from './settings';
export * from './ipc';
