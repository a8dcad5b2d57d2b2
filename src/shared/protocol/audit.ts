import { z } from 'zod';

export const AuditKindSchema = z.enum(['request', 'tool_call', 'decision', 'approval', 'execution', 'settings', 'policy', 'retention']);

export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  kind: AuditKindSchema,
  actor: z.string(),
  host: z.string().nullable(),
  subject: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntryView = z.infer<typeof AuditEntrySchema>;

export const AuditQuerySchema = z
  .object({
    kind: AuditKindSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    beforeSeq: z.coerce.number().int().min(1).optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditVerifySchema = z.union([
  z.object({
    ok: z.literal(true),
    rows: z.number(),
    checkpoints: z.number(),
    firstSeq: z.number().nullable(),
    lastSeq: z.number().nullable(),
    uncheckpointedRows: z.number(),
    /** Present when the log was checked against heads anchored outside the data dir (`audit verify --head/--journal`). */
    anchors: z.object({ checked: z.number(), pruned: z.number(), newestSeq: z.number() }).optional(),
  }),
  z.object({ ok: z.literal(false), brokenAt: z.number(), problem: z.string(), rows: z.number(), checkpoints: z.number() }),
]);
export type AuditVerify = z.infer<typeof AuditVerifySchema>;

export const AuditPageSchema = z.object({ entries: z.array(AuditEntrySchema), verify: AuditVerifySchema });
export type AuditPage = z.infer<typeof AuditPageSchema>;
