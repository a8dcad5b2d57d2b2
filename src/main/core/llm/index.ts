export { llmConfig, TaskSchema, ProviderConfigSchema, type LlmConfig, type LlmTask, type ProviderConfig } from './config';
export { ModelCatalog, type ModelInfo, type TokenCounts } from './model-catalog';
export { LlmProvider, LlmCallError, type ChatMessage, type ToolSpec, type CompletionRequest, type CompletionResult, type AssembledToolCall, type LlmErrorKind } from './provider';
export { ModelRouter, AllModelsFailedError, type RoutedCompletion, type RouteOptions } from './router';
export { RedactionSessions } from './redaction';
export { BudgetGuard, type BudgetStatus, type BudgetState } from './budget';
export { countTextTokens, countMessageTokens, countMessagesTokens, type CountableMessage } from './tokenizer';
export { ProviderSettings, ProviderSettingsError, keychainAccount, type ProviderView } from './provider-settings';
export type { ApiKeySource } from './provider';
