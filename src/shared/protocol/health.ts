import { z } from 'zod';
import { EngineSchema } from './chat';

export const HealthSchema = z.object({
  ok: z.boolean(),
  version: z.string(),
  engine: EngineSchema,
  uptimeMs: z.number().nonnegative(),
  hostname: z.string(),
  dataDir: z.string(),
});
export type Health = z.infer<typeof HealthSchema>;
