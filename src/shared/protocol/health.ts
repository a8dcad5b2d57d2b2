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
