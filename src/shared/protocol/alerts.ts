import { z } from 'zod';

/**
 * Alerts (DESIGN: `POST /api/alerts` takes Alertmanager's webhook payload, version 4, with a
 * bearer token of scope alerts:write; `GET /api/alerts` lists alerts with labels, state,
 * interpretation and incident link). Everything in a webhook is untrusted text from whoever
 * holds an alerts:write token: the limits below bound what one request can make us store.
 */

/** Whole request body of `POST /api/alerts` (Alertmanager sends one group per request). */
export const ALERT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Alerts in one webhook payload (Alertmanager's `max_alerts` is 0 = unlimited by default; we cap). */
export const MAX_ALERTS_PER_PAYLOAD = 1000;
export const MAX_LABELS = 64;
export const MAX_LABEL_NAME_CHARS = 128;
export const MAX_LABEL_VALUE_CHARS = 1024;
export const MAX_ANNOTATION_VALUE_CHARS = 8192;

const labelName = z.string().min(1).max(MAX_LABEL_NAME_CHARS);
const LabelsSchema = z
  .record(labelName, z.string().max(MAX_LABEL_VALUE_CHARS))
  .refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);
const AnnotationsSchema = z
  .record(labelName, z.string().max(MAX_ANNOTATION_VALUE_CHARS))
  .refine((l) => Object.keys(l).length <= MAX_LABELS, `at most ${MAX_LABELS} annotations`);

/** An RFC 3339 time as Alertmanager writes it (Go's zero time `0001-01-01T00:00:00Z` for "no end"). */
const TimeSchema = z.string().max(64).refine((t) => !Number.isNaN(Date.parse(t)), 'an RFC 3339 time');

export const AlertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: LabelsSchema,
  annotations: AnnotationsSchema.default({}),
  startsAt: TimeSchema,
  endsAt: TimeSchema.optional(),
  generatorURL: z.string().max(4096).optional(),
  /** Alertmanager's hash of the label set; with startsAt it identifies one firing across retries. */
  fingerprint: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'a fingerprint of letters, digits and ._:-'),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

/** Alertmanager's webhook payload, version 4 (unknown fields are ignored, as Alertmanager may add some). */
export const AlertmanagerWebhookSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string().max(8192),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1024),
  groupLabels: LabelsSchema.default({}),
  commonLabels: LabelsSchema.default({}),
  commonAnnotations: AnnotationsSchema.default({}),
  externalURL: z.string().max(4096).default(''),
  alerts: z.array(AlertmanagerAlertSchema).min(1).max(MAX_ALERTS_PER_PAYLOAD),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhookSchema>;

export const AlertSeveritySchema = z.enum(['critical', 'warning', 'info']);
export type AlertSeverity = z.infer<typeof AlertSeveritySchema>;

export const AlertStateSchema = z.enum(['firing', 'resolved', 'acknowledged', 'silenced']);
export type AlertState = z.infer<typeof AlertStateSchema>;

export const AlertSourceSchema = z.enum(['alertmanager', 'threshold', 'anomaly', 'forecast']);
export type AlertSource = z.infer<typeof AlertSourceSchema>;

export const InterpretationSchema = z.object({
  /** pending: queued; done: explained; deferred: rate limit or hourly budget spent (alert storm); failed: see text. */
  status: z.enum(['pending', 'done', 'deferred', 'failed']),
  /** `offline` (the deterministic engine) or `provider/model`. */
  engine: z.string().nullable(),
  /** Likely cause and next steps (markdown-free plain text). */
  text: z.string(),
  /** What was gathered, one line per source (tool or store), for the operator to check. */
  context: z.array(z.object({ source: z.string(), ok: z.boolean(), summary: z.string() })),
  at: z.string(),
});
export type Interpretation = z.infer<typeof InterpretationSchema>;

export const AlertViewSchema = z.object({
  id: z.string(),
  fingerprint: z.string(),
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  source: AlertSourceSchema,
  name: z.string(),
  /** The inventory host the alert is about (null: none matched its labels). */
  host: z.string().nullable(),
  severity: AlertSeveritySchema,
  state: AlertStateSchema,
  summary: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  /** Alerts with the same group key are shown together (Alertmanager's groupKey, or source/name/host). */
  groupKey: z.string(),
  value: z.number().nullable(),
  predictedAt: z.string().nullable(),
  generatorURL: z.string().nullable(),
  /** How many notifications (retries, repeats) this firing received. */
  notifications: z.number().int(),
  interpretation: InterpretationSchema.nullable(),
  /** The incident this alert belongs to, once remediation links one (null until then). */
  incident: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  silencedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export type AlertView = z.infer<typeof AlertViewSchema>;

/** `GET /api/alerts[?state=S][&limit=N]`: newest first, with counts for the badge. */
export const AlertListSchema = z.object({
  alerts: z.array(AlertViewSchema),
  counts: z.object({ firing: z.number().int(), acknowledged: z.number().int(), silenced: z.number().int(), resolved: z.number().int() }),
});
export type AlertList = z.infer<typeof AlertListSchema>;

/** `POST /api/alerts` answer: what each alert of the payload did. */
export const AlertIngestResultSchema = z.object({
  received: z.number().int(),
  created: z.number().int(),
  /** Retries of a firing already known (same fingerprint and startsAt). */
  duplicates: z.number().int(),
  resolved: z.number().int(),
  silenced: z.number().int(),
});
export type AlertIngestResult = z.infer<typeof AlertIngestResultSchema>;

export const SilenceMatcherSchema = z.object({
  name: labelName,
  value: z.string().max(MAX_LABEL_VALUE_CHARS),
  /** Exact match (default) or a regular expression anchored at both ends. */
  isRegex: z.boolean().default(false),
});

/** `POST /api/alerts/silences`: alerts whose labels match every matcher are silenced until endsAt. */
export const SilenceRequestSchema = z
  .object({
    matchers: z.array(SilenceMatcherSchema).min(1).max(32),
    endsAt: TimeSchema.optional(),
    /** Minutes from now, instead of endsAt. */
    durationMinutes: z.number().int().min(1).max(60 * 24 * 90).optional(),
    comment: z.string().max(1000).default(''),
  })
  .strict()
  .refine((s) => (s.endsAt === undefined) !== (s.durationMinutes === undefined), 'give endsAt or durationMinutes');
export type SilenceRequest = z.input<typeof SilenceRequestSchema>;

export const SilenceViewSchema = z.object({
  id: z.string(),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean() })),
  startsAt: z.string(),
  endsAt: z.string(),
  comment: z.string(),
  createdBy: z.string(),
  expiredAt: z.string().nullable(),
});
export type SilenceView = z.infer<typeof SilenceViewSchema>;

export const SilenceListSchema = z.object({ silences: z.array(SilenceViewSchema) });
export type SilenceList = z.infer<typeof SilenceListSchema>;

/** `GET /api/alerts/:id`, `POST /api/alerts/:id/ack`. */
export const AlertResponseSchema = z.object({ alert: AlertViewSchema });
export type AlertResponse = z.infer<typeof AlertResponseSchema>;

/** `POST /api/alerts/:id/interpret`: the interpretation as queued (pending) or why not (deferred). */
export const InterpretResponseSchema = z.object({ interpretation: InterpretationSchema });
export type InterpretResponse = z.infer<typeof InterpretResponseSchema>;

/** `POST /api/alerts/silences`. */
export const SilenceCreatedSchema = z.object({ silence: SilenceViewSchema });
export type SilenceCreated = z.infer<typeof SilenceCreatedSchema>;

/** `GET /api/alerts` filters (also the desktop's IPC request). */
export const AlertQuerySchema = z
  .object({
    state: AlertStateSchema.optional(),
    source: AlertSourceSchema.optional(),
    host: z.string().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(5000).optional(),
  })
  .strict();
export type AlertQuery = z.infer<typeof AlertQuerySchema>;
