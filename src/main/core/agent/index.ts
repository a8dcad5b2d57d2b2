export { ChatService, ChatError, type ChatEngine, type ChatCallOptions } from './chat-service';
export { OfflineEngine, OFFLINE_LABEL, ADD_MODEL_HINT, type EngineRequest, type EngineAnswer } from './offline-engine';
export { recogniseIntents, type OfflineIntent } from './intents';
export { findingsFromStatus } from './findings';
