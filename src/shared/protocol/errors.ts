import { z } from 'zod';

/** Every error that crosses a boundary (HTTP, IPC, SSE, CLI JSON) has this shape. */
export const ErrorCodeSchema = z.enum([
  'bad_request',
  'invalid_json',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'forbidden',
  'unauthorized',
  'conflict',
  'unknown_host',
  'internal',
  'unavailable',
  // per-host execution errors (DESIGN: fleetmind exec --json)
  'unreachable',
  'auth_failed',
  'host_key_unknown',
  'host_key_mismatch',
  'timeout',
  'cancelled',
  'policy_denied',
  'approval_required',
  // approving a production ask without the host names typed, or with a wrong one: nothing ran
  'confirmation_required',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ApiErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

export const ErrorResponseSchema = z.object({ error: ApiErrorSchema });
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
