import { z } from 'zod';
import { PendingApprovalSchema } from './chat';
import { ExecResultLineSchema } from './hosts';

export const ApprovalDecisionRequestSchema = z
  .object({
    decision: z.enum(['approve', 'deny']),
    /** once: this request only; host: this exact command on these hosts from now on; tag: on every host with the tag. */
    remember: z.enum(['once', 'host', 'tag']).optional(),
    tag: z.string().min(1).max(100).optional(),
    reason: z.string().max(1000).optional(),
  })
  .strict();
export type ApprovalDecisionRequest = z.infer<typeof ApprovalDecisionRequestSchema>;

export const ApprovalStatusSchema = z.enum(['pending', 'approved', 'denied', 'expired']);

export const ApprovalViewSchema = PendingApprovalSchema.extend({
  conversationId: z.string().nullable(),
  requester: z.string(),
  policyVersion: z.string(),
  status: ApprovalStatusSchema,
  decidedAt: z.string().nullable(),
  decisionReason: z.string().nullable(),
  /** Whether "approve and remember" may be offered for this command. */
  rememberable: z.boolean(),
  /** Why "approve and remember" is not offered (null or absent when it is). */
  notRememberable: z.string().nullable().optional(),
  /** Hosts where the SSH user is root: shown prominently in the dialog. */
  rootHosts: z.array(z.string()),
});
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

export const ApprovalListSchema = z.object({ approvals: z.array(ApprovalViewSchema) });
export type ApprovalList = z.infer<typeof ApprovalListSchema>;

export const ApprovalDecisionResponseSchema = z.object({
  approval: ApprovalViewSchema,
  results: z.array(ExecResultLineSchema),
  remembered: z.array(z.object({ id: z.string(), scope: z.enum(['host', 'tag']), target: z.string() })),
});
export type ApprovalDecisionResponse = z.infer<typeof ApprovalDecisionResponseSchema>;
