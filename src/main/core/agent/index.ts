export { ChatService, ChatError, type ChatEngine, type ChatCallOptions } from './chat-service';
export { OfflineEngine, OFFLINE_LABEL, ADD_MODEL_HINT, type EngineRequest, type EngineAnswer } from './offline-engine';
export { recogniseIntents, type OfflineIntent } from './intents';
export { findingsFromStatus } from './findings';
export { ModelEngine } from './model-engine';
export { classifyRequest, taskFor, type RequestKind } from './request-kind';
export { pruneToFit, capToolResult, extractPinnedFacts, historyToModelMessages, PRUNED_TOOL_OUTPUT } from './context';
export { buildSystemPrompt } from './system-prompt';
