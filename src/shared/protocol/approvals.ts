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
    /**
     * The host names the operator typed to approve a request that needs them (production
     * tags: `ApprovalView.confirmation`): every host listed there, exactly as named, and no
     * name this request does not run on. Checked by the server; ignored when denying.
     */
    confirmHosts: z.array(z.string().max(253)).max(1000).optional(),
  })
  .strict();
export type ApprovalDecisionRequest = z.infer<typeof ApprovalDecisionRequestSchema>;

/**
 * A stronger confirmation than a click: the approver types the name of every host listed
 * (each carries a production tag and the command can change it). The server refuses the
 * approval otherwise, whatever face sends it.
 */
export const TypedConfirmationSchema = z.object({
  kind: z.literal('typed-host'),
  hosts: z.array(z.string()),
  /** Why, one line per host: "web-1 is tagged production: type its name to approve". */
  reasons: z.array(z.string()),
});
export type TypedConfirmation = z.infer<typeof TypedConfirmationSchema>;

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
  /** Set when approving needs host names typed (production tags); null or absent when a click will do. */
  confirmation: TypedConfirmationSchema.nullable().optional(),
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
