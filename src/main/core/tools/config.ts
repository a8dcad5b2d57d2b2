import { z } from 'zod';
import { defineConfigSlice } from '../config';

export const toolsConfig = defineConfigSlice({
  name: 'tools',
  schema: z
    .object({
      /** How long a read-only tool result is reused for the same host and arguments (ms); 0 turns it off. */
      readCacheTtlMs: z.number().int().min(0).max(600_000).default(2000),
    })
    .strict(),
});
