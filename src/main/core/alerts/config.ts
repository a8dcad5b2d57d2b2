import { z } from 'zod';
import { defineConfigSlice } from '../config';

/**
 * A threshold rule on collected metrics, with hysteresis: it fires once `metric op value`
 * held for `forSeconds`, and clears only when the value is back past `clearAt` (default:
 * `value`), so a series hovering at the limit does not flap.
 */
export const ThresholdRuleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an alert name such as DiskAlmostFull').max(128),
    /** A metric as the metrics store names it, with labels where it has them: disk_used_ratio{mount="/"}. */
    metric: z.string().min(1).max(300),
    op: z.enum(['>', '>=', '<', '<=']),
    value: z.number(),
    /** How long the condition must hold before the alert fires. */
    forSeconds: z.number().min(0).max(86_400).default(60),
    /** The value the series must come back past to clear (hysteresis); default: `value`. */
    clearAt: z.number().optional(),
    severity: z.enum(['critical', 'warning', 'info']).default('warning'),
    /** Hosts (exact names) the rule applies to; default every host with the series. */
    hosts: z.array(z.string().min(1)).optional(),
    summary: z.string().max(500).optional(),
  })
  .strict()
  .refine((r) => r.clearAt === undefined || (r.op.startsWith('>') ? r.clearAt <= r.value : r.clearAt >= r.value), 'clearAt must lie on the clear side of value (below it for > rules, above it for < rules)');
export type ThresholdRule = z.infer<typeof ThresholdRuleSchema>;

export const DEFAULT_THRESHOLDS: ThresholdRule[] = [
  { name: 'DiskAlmostFull', metric: 'disk_used_ratio', op: '>=', value: 0.9, clearAt: 0.85, forSeconds: 120, severity: 'warning', summary: 'a file system is more than 90 % full' },
  { name: 'MemoryExhausted', metric: 'memory_available_bytes', op: '<', value: 64 * 1024 * 1024, clearAt: 128 * 1024 * 1024, forSeconds: 120, severity: 'critical', summary: 'less than 64 MiB of memory available' },
];

export const alertsConfig = defineConfigSlice({
  name: 'alerts',
  schema: z
    .object({
      /** How often thresholds and anomalies are evaluated on collected metrics. */
      evaluateSeconds: z.number().min(1).max(3600).default(15),
      /** Threshold rules; `[]` turns the built-in ones off. */
      thresholds: z.array(ThresholdRuleSchema).default(DEFAULT_THRESHOLDS),
      anomaly: z
        .object({
          enabled: z.boolean().default(true),
          /** Anomaly score in [0,1] at and above which an alert is raised. */
          minScore: z.number().min(0).max(1).default(0.9),
          /** Quiet minutes after which an anomaly alert of a series resolves. */
          clearMinutes: z.number().min(1).max(1440).default(10),
          severity: z.enum(['critical', 'warning', 'info']).default('info'),
        })
        .strict()
        .default({ enabled: true, minScore: 0.9, clearMinutes: 10, severity: 'info' }),
      interpretation: z
        .object({
          enabled: z.boolean().default(true),
          /** Token bucket: interpretations started per minute on average, with bursts up to `burst`. */
          perMinute: z.number().min(0).max(600).default(6),
          burst: z.number().int().min(1).max(100).default(5),
          /** At most this many interpretations per hour; past it they are deferred (alert storm). */
          perHour: z.number().int().min(0).max(10_000).default(60),
          /** At most this many run at once. */
          concurrency: z.number().int().min(1).max(16).default(2),
          /** Each tool call and the model call are bounded by this. */
          timeoutSeconds: z.number().min(1).max(600).default(60),
        })
        .strict()
        .default({ enabled: true, perMinute: 6, burst: 5, perHour: 60, concurrency: 2, timeoutSeconds: 60 }),
      /** Most alerts kept: past it the oldest resolved ones go, and a webhook is refused (503) while only open ones fill it. */
      maxStored: z.number().int().min(100).max(10_000_000).default(100_000),
      /** Resolved alerts older than this are deleted. */
      retentionDays: z.number().min(1).max(3650).default(90),
    })
    .strict(),
});
export type AlertsConfig = ReturnType<(typeof alertsConfig)['schema']['parse']>;
