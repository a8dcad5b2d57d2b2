import { z } from 'zod';

/** One (conversation, provider) aggregate of what was sent to a model: counts and sizes, never text. */
export const PrivacyLedgerRowSchema = z.object({
  conversationId: z.string().nullable(),
  provider: z.string(),
  local: z.boolean(),
  requests: z.number().int(),
  bytesSent: z.number().int(),
  /** Distinct secrets per type that reached the provider as placeholders. */
  redactions: z.record(z.string(), z.number()),
  /** Pseudonyms per kind (host, ip, user...) when pseudonymisation ran. */
  pseudonyms: z.record(z.string(), z.number()),
  hosts: z.array(z.string()),
  models: z.array(z.string()),
  firstAt: z.string(),
  lastAt: z.string(),
});
export type PrivacyLedgerRowView = z.infer<typeof PrivacyLedgerRowSchema>;

/** `GET /api/privacy`, `fleetmind privacy report --json`. */
export const PrivacyReportSchema = z.object({
  rows: z.array(PrivacyLedgerRowSchema),
  totals: z.object({
    requests: z.number().int(),
    bytesSent: z.number().int(),
    remoteRequests: z.number().int(),
    remoteBytesSent: z.number().int(),
    redactions: z.record(z.string(), z.number()),
  }),
});
export type PrivacyReport = z.infer<typeof PrivacyReportSchema>;
