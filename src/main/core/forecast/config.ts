import { z } from 'zod';
import { defineConfigSlice } from '../config';

/** `host:port`, `[v6]:port`: a TLS endpoint whose certificate's expiry is watched. */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/;

const EndpointSchema = z.union([
  z
    .string()
    .regex(HOST_PORT, 'host:port (a name or address, then the port), e.g. api.example.com:443')
    .refine((s) => Number(HOST_PORT.exec(s)?.[1]) >= 1 && Number(HOST_PORT.exec(s)?.[1]) <= 65535, 'a port from 1 to 65535'),
  z
    .object({
      host: z.string().min(1).max(253),
      port: z.number().int().min(1).max(65535).default(443),
      /** The name sent in SNI (default: host, when it is a name). */
      servername: z.string().min(1).max(253).optional(),
    })
    .strict(),
]);

export interface TlsEndpoint {
  host: string;
  port: number;
  servername?: string;
  /** As configured, `host:port`: the alert's label. */
  label: string;
}

export function endpointOf(entry: z.infer<typeof EndpointSchema>): TlsEndpoint {
  if (typeof entry !== 'string') return { host: entry.host, port: entry.port, servername: entry.servername, label: `${entry.host.includes(':') ? `[${entry.host}]` : entry.host}:${entry.port}` };
  const colon = entry.lastIndexOf(':');
  const host = entry.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(entry.slice(colon + 1)), label: entry };
}

/** One kind of trend forecast; each field may be left out (its default then applies). */
const trendSchema = (defaults: { windowHours: number; minHistoryMinutes: number }) =>
  z
    .object({
      enabled: z.boolean().default(true),
      /** How much history a forecast looks at. */
      windowHours: z.number().min(0.01).max(24 * 30).default(defaults.windowHours),
      /** No forecast from less history than this (a few minutes of a disk say little about next week). */
      minHistoryMinutes: z.number().min(0).max(24 * 60 * 7).default(defaults.minHistoryMinutes),
    })
    .strict()
    .default({ enabled: true, ...defaults });

/**
 * `forecast:` in config.yaml. Disk, inode and memory forecasts over collected metrics
 * (every host the metrics service has), and certificate expiry of configured endpoints.
 */
export const forecastConfig = defineConfigSlice({
  name: 'forecast',
  schema: z
    .object({
      enabled: z.boolean().default(true),
      /** Alert when the predicted crossing is this close (the alert names the time). */
      horizonHours: z.number().min(0.001).max(24 * 365).default(48),
      /** Closer than this: severity critical. */
      criticalHours: z.number().min(0).max(24 * 365).default(6),
      /** How often new points are looked for (each collection brings some; unchanged series are not re-forecast). */
      evaluateSeconds: z.number().min(0.1).max(3600).default(15),
      /** Consecutive forecasts that agree before an alert is raised or resolved (no flapping). */
      confirm: z.number().int().min(1).max(100).default(2),
      disk: trendSchema({ windowHours: 12, minHistoryMinutes: 30 }),
      inodes: trendSchema({ windowHours: 12, minHistoryMinutes: 30 }),
      /** Memory growth (a leak suspected): available memory trending to zero, steadily, without a plateau. */
      memory: trendSchema({ windowHours: 12, minHistoryMinutes: 120 }),
      tls: z
        .object({
          endpoints: z.array(EndpointSchema).max(1000).default([]),
          /** Alert this many days before a certificate expires; critical from criticalDays. */
          warnDays: z.number().min(0).max(3650).default(14),
          criticalDays: z.number().min(0).max(3650).default(3),
          checkMinutes: z.number().min(0.01).max(7 * 24 * 60).default(360),
          timeoutSeconds: z.number().min(1).max(120).default(10),
        })
        .strict()
        .default({ endpoints: [], warnDays: 14, criticalDays: 3, checkMinutes: 360, timeoutSeconds: 10 }),
    })
    .strict(),
});

export type ForecastConfig = z.infer<typeof forecastConfig.schema>;
