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
  /** Once approved and run: each host's result, kept so a requester who left can read it. */
  results: z.array(ExecResultLineSchema).nullable().optional(),
  executedAt: z.string().nullable().optional(),
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

/** A remembered approval ("approve and remember"): this exact command is allowed on a host or a tag's hosts. */
export const RememberedRuleViewSchema = z.object({
  id: z.string(),
  command: z.string(),
  scope: z.enum(['host', 'tag']),
  target: z.string(),
  approvalId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  policyVersion: z.string().nullable(),
  verdict: z
    .object({ decision: z.enum(['allow', 'ask', 'deny']), category: z.string(), ruleIds: z.array(z.string()).nullable() })
    .nullable(),
});
export type RememberedRuleView = z.infer<typeof RememberedRuleViewSchema>;

/** `GET /api/approvals/rules`, `fleetmind approvals rules --json`. */
export const RememberedRuleListSchema = z.object({ rules: z.array(RememberedRuleViewSchema) });
export type RememberedRuleList = z.infer<typeof RememberedRuleListSchema>;

/** `DELETE /api/approvals/rules/:id`. */
export const RuleRevokedSchema = z.object({ revoked: RememberedRuleViewSchema });
export type RuleRevoked = z.infer<typeof RuleRevokedSchema>;
