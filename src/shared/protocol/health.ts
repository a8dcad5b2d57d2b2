import { z } from 'zod';
import { EngineSchema } from './chat';

export const HealthSchema = z.object({
  /** True when the store is open and the safety policy is loaded (commands can be judged). */
  ok: z.boolean(),
  policy: z.enum(['loading', 'ready']),
  version: z.string(),
  engine: EngineSchema,
  uptimeMs: z.number().nonnegative(),
  hostname: z.string(),
  dataDir: z.string(),
});
export type Health = z.infer<typeof HealthSchema>;

/**
 * What `GET /api/health` tells a client that is neither the server's own OS user nor holds
 * a credential: only whether the server is up (503 with "starting" until the policy loads).
 */
export const PublicHealthSchema = z.object({ status: z.enum(['ok', 'starting']) }).strict();
export type PublicHealth = z.infer<typeof PublicHealthSchema>;
