import { z } from 'zod';
import { ApiErrorSchema } from '../shared/protocol';

/**
 * How main answers an invoke: Electron flattens a thrown error into a message string,
 * so typed failures travel as values and the preload rejects with the {code, message}.
 * Kept in step with src/main/electron/ipc-result.ts (neither face may import the other).
 */
export const IpcResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiErrorSchema }),
]);
