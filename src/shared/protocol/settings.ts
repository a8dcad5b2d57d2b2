import { z } from 'zod';

/**
 * Provider settings and usage reports, as `/api/providers*` and `/api/usage` answer them
 * and as the desktop face's IPC carries them. API keys go in once (AddProviderRequest)
 * and only ever come back masked.
 */

export const ProviderNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'provider names are lower-case words (letters, digits, - and _)').max(64);

export const ProviderKeySchema = z.object({
  source: z.enum(['keychain', 'env', 'none']),
  /** A few characters of the key around an ellipsis, or null when there is none. */
  masked: z.string().nullable(),
  /** Why the key is missing or comes from a weaker place (no keychain, say). */
  warning: z.string().nullable(),
});
export type ProviderKey = z.infer<typeof ProviderKeySchema>;

export const ProviderViewSchema = z.object({
  name: z.string(),
  baseURL: z.string().optional(),
  apiKeyAccount: z.string().optional(),
  local: z.boolean().optional(),
  /** The config file, added at run time from the UI/CLI/API, or the SDK's environment variables. */
  origin: z.enum(['file', 'settings', 'env']),
  key: ProviderKeySchema,
});
export type ProviderView = z.infer<typeof ProviderViewSchema>;

export const ProviderListSchema = z.object({ providers: z.array(ProviderViewSchema) });
export type ProviderList = z.infer<typeof ProviderListSchema>;

export const AddProviderRequestSchema = z
  .object({
    name: ProviderNameSchema,
    /** OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, llama.cpp); omitted for OpenAI itself. */
    baseURL: z.url().optional(),
    local: z.boolean().optional(),
    /** Stored in the OS keychain by the core; never echoed back. */
    apiKey: z.string().min(8, 'an API key has at least 8 characters').max(500).optional(),
  })
  .strict();
export type AddProviderRequest = z.infer<typeof AddProviderRequestSchema>;

export const AddProviderResponseSchema = z.object({
  added: z.string(),
  /** The model router reads providers at start, so a new one is used after a restart. */
  restartRequired: z.boolean(),
});
export type AddProviderResponse = z.infer<typeof AddProviderResponseSchema>;

export const RemoveProviderResponseSchema = z.object({ removed: z.string() });
export type RemoveProviderResponse = z.infer<typeof RemoveProviderResponseSchema>;

/** A successful connection test; failures are ordinary typed errors. */
export const ProviderTestResultSchema = z.object({
  ok: z.literal(true),
  models: z.array(z.string()),
  latencyMs: z.number().nonnegative(),
});
export type ProviderTestResult = z.infer<typeof ProviderTestResultSchema>;

export const UsageDimensionSchema = z.enum(['day', 'model', 'conversation']);
export type UsageDimension = z.infer<typeof UsageDimensionSchema>;

export const UsageQuerySchema = z
  .object({
    by: UsageDimensionSchema.optional(),
    /** First day included, YYYY-MM-DD (UTC). */
    since: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'since takes a date as YYYY-MM-DD')
      .optional(),
  })
  .strict();
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

export const UsageTotalsSchema = z.object({
  calls: z.number().int().nonnegative(),
  promptTokens: z.number().nonnegative(),
  completionTokens: z.number().nonnegative(),
  cachedTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
});
export type UsageTotals = z.infer<typeof UsageTotalsSchema>;

export const UsageRowSchema = UsageTotalsSchema.extend({
  /** The day (YYYY-MM-DD), `provider/model`, or the conversation id ('-' for none). */
  key: z.string(),
});
export type UsageRow = z.infer<typeof UsageRowSchema>;

export const BudgetStatusSchema = z.object({
  state: z.enum(['ok', 'warning', 'exceeded']),
  dailySpentUsd: z.number().nonnegative(),
  monthlySpentUsd: z.number().nonnegative(),
  dailyLimitUsd: z.number().nonnegative().nullable(),
  monthlyLimitUsd: z.number().nonnegative().nullable(),
  message: z.string().nullable(),
});
export type BudgetStatus = z.infer<typeof BudgetStatusSchema>;

export const UsageReportSchema = z.object({
  by: UsageDimensionSchema,
  rows: z.array(UsageRowSchema),
  totals: UsageTotalsSchema,
  budget: BudgetStatusSchema,
});
export type UsageReport = z.infer<typeof UsageReportSchema>;
