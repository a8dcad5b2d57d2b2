import { z } from 'zod';
import { defineConfigSlice } from '../config';
import type { Host } from '../../../shared/protocol';
import { DEFAULT_DERIVE_OPTIONS, type DeriveOptions } from './derive';
import type { Retention } from './metric-store';

const FilesystemsSchema = z
  .object({
    /** File system types reported besides real disks (e.g. [tmpfs]); tmpfs, proc, overlay... are left out by default. */
    includeTypes: z.array(z.string().min(1)).default([]),
    /** Mount points always reported, whatever their type. */
    includeMounts: z.array(z.string().startsWith('/')).default([]),
    /** Mount points never reported. */
    excludeMounts: z.array(z.string().startsWith('/')).default([]),
  })
  .strict();

/** Which source feeds a host's series: exactly one per host, so two sources never interleave points of one series. */
export const SourceNameSchema = z.enum(['collector', 'prometheus', 'node_exporter']);
export type MetricSourceName = z.infer<typeof SourceNameSchema>;

/** Credentials are keychain accounts (`fleetmind`'s secrets module); the config never holds a secret itself. */
const AuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), keychain: z.string().min(1).max(256) }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1), keychain: z.string().min(1).max(256) }).strict(),
]);
export type SourceAuth = z.infer<typeof AuthSchema>;

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'an http:// or https:// URL');

/** PromQL label matchers added to every query, e.g. `job="node"` (no braces). */
const MATCHERS = /^\s*([a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*(,\s*|$))*$/;

const PrometheusSchema = z
  .object({
    /** The server's base URL (https://prometheus.example:9090); /api/v1/query_range is appended. */
    url: httpUrl,
    auth: AuthSchema.optional(),
    /** A PEM file of CAs trusted besides the system's (TLS is always verified). */
    caFile: z.string().startsWith('/').optional(),
    /** Label matchers for the node_exporter series, e.g. `job="node"`. */
    matchers: z.string().regex(MATCHERS, 'label matchers such as job="node", env=~"prod|stage"').default(''),
    /** Explicit instance label → inventory host name; unlisted instances match a host by address or name. */
    instances: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** How often new points are fetched. */
    intervalSeconds: z.number().min(1).max(3600).default(30),
    /** The resolution asked for (query_range step). */
    stepSeconds: z.number().min(1).max(3600).default(15),
    /** The window of rate() (at least 4× the scrape interval of the node job). */
    rateWindowSeconds: z.number().min(1).max(86_400).default(60),
    /** How far back the first fetch (and a fetch after an outage) reaches. */
    backfillMinutes: z.number().min(1).max(24 * 60).default(60),
    /** Points younger than this are left for the next fetch (Prometheus may still be ingesting them). */
    settleSeconds: z.number().min(0).max(600).default(10),
    /** Each request's deadline. */
    timeoutSeconds: z.number().min(1).max(120).default(10),
  })
  .strict();

const NodeExporterSchema = z
  .object({
    port: z.number().int().min(1).max(65535).default(9100),
    scheme: z.enum(['http', 'https']).default('http'),
    path: z.string().startsWith('/').default('/metrics'),
    auth: AuthSchema.optional(),
    caFile: z.string().startsWith('/').optional(),
  })
  .strict();

const NODE_EXPORTER_DEFAULTS = { port: 9100, scheme: 'http' as const, path: '/metrics' };

const OverrideSchema = z
  .object({
    enabled: z.boolean().optional(),
    source: SourceNameSchema.optional(),
    /** node_exporter's URL for this host (default: scheme://address:port/path from `sources.nodeExporter`). */
    nodeExporterUrl: httpUrl.optional(),
    intervalSeconds: z.number().min(1).max(3600).optional(),
    timeoutSeconds: z.number().min(1).max(600).optional(),
    filesystems: FilesystemsSchema.partial().optional(),
  })
  .strict();

export type CollectorOverride = z.infer<typeof OverrideSchema>;

/**
 * `metrics:` in config.yaml. Collection runs inside the server (`fleetmind serve`, the
 * desktop app), one fixed read-only script per host per interval.
 */
export const metricsConfig = defineConfigSlice({
  name: 'metrics',
  schema: z
    .object({
      /** Collect from every host in the inventory (per host or tag: `enabled: false`). */
      enabled: z.boolean().default(true),
      /** The source of every host without its own `source` (per host or tag). */
      source: SourceNameSchema.default('collector'),
      /** How the `prometheus` and `node_exporter` sources are reached. */
      sources: z
        .object({
          prometheus: PrometheusSchema.optional(),
          nodeExporter: NodeExporterSchema.default(NODE_EXPORTER_DEFAULTS),
        })
        .strict()
        .default({ nodeExporter: NODE_EXPORTER_DEFAULTS }),
      intervalSeconds: z.number().min(1).max(3600).default(15),
      /** A run that has not finished by then is stopped and counted as failed; the host's next run is not delayed by others. */
      timeoutSeconds: z.number().min(1).max(600).default(10),
      /** Per host name; wins over `tags`. */
      hosts: z.record(z.string(), OverrideSchema).default({}),
      /** Per tag; the first tag of the host (in the host's order) that has an entry applies. */
      tags: z.record(z.string(), OverrideSchema).default({}),
      filesystems: FilesystemsSchema.default({ includeTypes: [], includeMounts: [], excludeMounts: [] }),
      /** Network interfaces left out (a regular expression matched against the whole name). */
      ignoreInterfaces: z.string().default(DEFAULT_DERIVE_OPTIONS.ignoreInterfaces.source),
      /** Processes kept per host in the latest snapshot (plus Fleetmind's own probe processes). */
      topProcesses: z.number().int().min(0).max(200).default(15),
      retention: z
        .object({
          rawHours: z.number().min(12).max(24 * 30).default(48),
          minuteDays: z.number().min(8).max(365).default(30),
          hourDays: z.number().min(8).max(3650).default(365),
        })
        .strict()
        .default({ rawHours: 48, minuteDays: 30, hourDays: 365 }),
    })
    .strict()
    .superRefine((c, ctx) => {
      const usesPrometheus = c.source === 'prometheus' || [...Object.values(c.hosts), ...Object.values(c.tags)].some((o) => o.source === 'prometheus');
      if (usesPrometheus && !c.sources.prometheus) ctx.addIssue({ code: 'custom', path: ['sources', 'prometheus'], message: 'a host takes its metrics from Prometheus: set sources.prometheus.url' });
      try {
        new RegExp(c.ignoreInterfaces);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['ignoreInterfaces'], message: `not a regular expression: ${(err as Error).message}` });
      }
    }),
});

export type MetricsConfig = z.infer<typeof metricsConfig.schema>;

export interface HostCollectorSettings {
  enabled: boolean;
  /** Which source feeds this host (the others leave it alone). */
  source: MetricSourceName;
  /** Set when `nodeExporterUrl` is configured for the host or its tag. */
  nodeExporterUrl?: string;
  intervalMs: number;
  timeoutMs: number;
  derive: DeriveOptions;
}

/** The effective settings for one host: host entry > first matching tag entry > defaults. */
export function hostSettings(config: MetricsConfig, host: Pick<Host, 'name' | 'tags'>): HostCollectorSettings {
  const tag = host.tags.find((t) => config.tags[t] !== undefined);
  const layers = [tag ? config.tags[tag] : undefined, config.hosts[host.name]].filter((o): o is CollectorOverride => o !== undefined);
  const pick = <K extends 'enabled' | 'source' | 'intervalSeconds' | 'timeoutSeconds'>(key: K, fallback: NonNullable<CollectorOverride[K]>): NonNullable<CollectorOverride[K]> => {
    let v = fallback;
    for (const l of layers) if (l[key] !== undefined) v = l[key] as NonNullable<CollectorOverride[K]>;
    return v;
  };
  const fs = { ...config.filesystems };
  for (const l of layers) Object.assign(fs, Object.fromEntries(Object.entries(l.filesystems ?? {}).filter(([, v]) => v !== undefined)));
  const intervalMs = pick('intervalSeconds', config.intervalSeconds) * 1000;
  const nodeExporterUrl = layers.reduce<string | undefined>((v, l) => l.nodeExporterUrl ?? v, undefined);
  return {
    enabled: pick('enabled', config.enabled),
    source: pick('source', config.source),
    ...(nodeExporterUrl ? { nodeExporterUrl } : {}),
    intervalMs,
    // A run never outlives its interval: the next one would have to be skipped anyway.
    timeoutMs: Math.min(pick('timeoutSeconds', config.timeoutSeconds) * 1000, Math.max(1000, intervalMs)),
    derive: {
      ...DEFAULT_DERIVE_OPTIONS,
      filesystems: { ...DEFAULT_DERIVE_OPTIONS.filesystems, ...fs },
      ignoreInterfaces: new RegExp(`^(?:${config.ignoreInterfaces})$`),
      topProcesses: config.topProcesses,
    },
  };
}

export function retentionOf(config: MetricsConfig): Retention {
  return {
    rawMs: config.retention.rawHours * 3_600_000,
    minuteMs: config.retention.minuteDays * 86_400_000,
    hourMs: config.retention.hourDays * 86_400_000,
  };
}
