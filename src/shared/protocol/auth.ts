import { z } from 'zod';

/**
 * Credentials of the HTTP API (DESIGN: API security). The operator token (in the data dir)
 * can do everything; scoped tokens, made with `fleetmind token create --scope S`, can do
 * only what their scope names, and none of them approves anything.
 */
export const TokenScopeSchema = z.enum(['alerts:write', 'metrics:read', 'mcp:read', 'mcp:operator']);
export type TokenScope = z.infer<typeof TokenScopeSchema>;

/** A scoped token as `fleetmind token list --json` shows it: never the token itself. */
export const ApiTokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: TokenScopeSchema,
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiTokenInfo = z.infer<typeof ApiTokenInfoSchema>;

/** `fleetmind token create --json`: the only time the token is shown. */
export const CreatedApiTokenSchema = ApiTokenInfoSchema.extend({ token: z.string() });
export type CreatedApiToken = z.infer<typeof CreatedApiTokenSchema>;

/** `GET /api/session`: whether this browser session (or request) has the operator's rights. */
export const SessionSchema = z.object({ operator: z.boolean() });
export type Session = z.infer<typeof SessionSchema>;
