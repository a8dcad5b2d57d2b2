import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { ApiError, ErrorCode } from '../../../shared/protocol';

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  invalid_json: 400,
  unknown_host: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  // A verdict that refuses, and an approval without its typed confirmation: the client's to fix, nothing ran.
  policy_denied: 403,
  confirmation_required: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
};

/** `{"error": {"code", "message"}}` with the status its code means. */
export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(STATUS[error.code] ?? 500).send({ error });
}

/** A zod failure as one readable line (`path: message; ...`). */
export function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}
