import { z } from 'zod';

/** Every host tool takes the same optional selector (DESIGN: default is the conversation's host, else localhost). */
export const hostArg = z
  .string()
  .min(1)
  .max(500)
  .optional()
  .describe('Host selector: a name, glob (web-*), tag:NAME, comma list, !exclusion, or "all". Default: the conversation host, else localhost.');

export const hostOnlyInput = z.object({ host: hostArg }).strict();
