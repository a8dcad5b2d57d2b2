import { z } from 'zod';
import { defineConfigSlice } from '../config';

/** A model reference: `provider/model`, or a bare model name on the first provider. */
export const ModelRefSchema = z.string().min(1);

export const ProviderConfigSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'provider names are lower-case words'),
    /** OpenAI-compatible endpoint; omit for OpenAI itself. */
    baseURL: z.url().optional(),
    /** Keychain account holding the API key (service "fleetmind"); defaults to the provider name. */
    apiKeyAccount: z.string().optional(),
    /** Runs on this machine or network (Ollama, vLLM, llama.cpp): free, allowed for sensitive data, never blocked by budgets. */
    local: z.boolean().optional(),
  })
  .strict();
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

export const TaskSchema = z.enum(['chat', 'diagnosis', 'summarize', 'sensitive']);
export type LlmTask = z.infer<typeof TaskSchema>;

export const llmConfig = defineConfigSlice({
  name: 'llm',
  schema: z
    .object({
      providers: z.array(ProviderConfigSchema).default([]),
      /** Model per task; unset tasks use `chat`. */
      models: z.partialRecord(TaskSchema, ModelRefSchema).default({}),
      /** Tried in order after the task's model fails (429, 5xx, timeout). */
      fallback: z.array(ModelRefSchema).default([]),
      /** Per request; the SDK's own retries are kept low so the fallback chain moves on. */
      timeoutMs: z.number().int().positive().default(60_000),
      /** A stream that sends nothing for this long is abandoned (stalled server). */
      streamIdleTimeoutMs: z.number().int().positive().default(30_000),
      maxRetries: z.number().int().min(0).max(5).default(1),
      maxSteps: z.number().int().min(1).max(50).default(10),
      maxParallelTools: z.number().int().min(1).max(32).default(4),
      toolResultMaxChars: z.number().int().min(500).default(12_000),
      budget: z
        .object({
          dailyUsd: z.number().positive().optional(),
          monthlyUsd: z.number().positive().optional(),
          warnAt: z.number().min(0).max(1).default(0.8),
          conversationTokens: z.number().int().positive().default(500_000),
        })
        .strict()
        .default({ warnAt: 0.8, conversationTokens: 500_000 }),
    })
    .strict(),
  fromEnv: (env) => {
    const out: Record<string, unknown> = {};
    if (env.FLEETMIND_MODEL) out.models = { chat: env.FLEETMIND_MODEL };
    return out;
  },
});
export type LlmConfig = ReturnType<(typeof llmConfig)['schema']['parse']>;
