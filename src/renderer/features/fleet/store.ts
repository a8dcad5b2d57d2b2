import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  ANOMALY_SCORE_METRIC,
  type ApiError,
  type CollectorStatusView,
  type Host,
  type HostAddRequest,
  type HostImportRequest,
  type HostImportResult,
  type HostKeyScanView,
  type MetricQueryResponse,
  type MetricSeriesList,
} from '../../../shared/protocol';
import { toApiError, type Transport } from '../../transport';
import { anomalyLabelsOf, chartSpecs, hasAnomalyScores, RANGES, type ChartSpec, type RangeKey } from './charts';

/** The detector's report level, for servers that do not say (older ones, the desktop IPC face). */
const DEFAULT_ANOMALY_THRESHOLD = 0.1;

/** The latest figures the fleet table shows per host (null: no recent point). */
export interface Current {
  cpuBusy: number | null;
  memoryUsed: number | null;
  memoryTotal: number | null;
  load1: number | null;
}

export interface ChartState {
  spec: ChartSpec;
  /** One answer per line of the spec, in order (null: that line failed, see error). */
  results: (MetricQueryResponse | null)[];
  /** Per line, its stored anomaly scores in the same window and buckets ([unixMs, score]; empty: none stored). */
  anomalies: [number, number][][];
  /** Scores at and above this mark a point as anomalous. */
  anomalyThreshold: number;
  error: ApiError | null;
}

export interface Detail {
  host: string;
  range: RangeKey;
  /** The window the charts show, in unix ms: fixed at load so what is drawn can be asked for again. */
  since: number;
  until: number;
  stepMs: number | null;
  series: MetricSeriesList | null;
  charts: ChartState[];
  loading: boolean;
  error: ApiError | null;
}

export interface KeyCheck {
  host: string;
  scanning: boolean;
  scan: HostKeyScanView | null;
  trusting: boolean;
  trusted: boolean;
  error: ApiError | null;
}

export interface FleetState {
  hosts: Host[];
  collectors: Record<string, CollectorStatusView>;
  current: Record<string, Current>;
  loaded: boolean;
  loading: boolean;
  error: ApiError | null;
  /** The last time the list was read (ms), for "last seen" texts. */
  readAt: number;

  detail: Detail | null;
  keyCheck: KeyCheck | null;

  load(): Promise<void>;
  /** Opens a host's charts (null: back to the list). */
  select(host: string | null): Promise<void>;
  setRange(range: RangeKey): Promise<void>;
  refreshDetail(): Promise<void>;
  /** Resolves with the error when the host was not added. */
  addHost(request: HostAddRequest): Promise<ApiError | null>;
  importHosts(request: HostImportRequest): Promise<HostImportResult | ApiError>;
  /** Reads the key a host presents now; nothing is recorded until trustKey. */
  checkKey(host: string): Promise<void>;
  trustKey(): Promise<void>;
  closeKeyCheck(): void;
  dismissError(): void;
}

export type FleetStore = StoreApi<FleetState>;

/** How far back the table looks for a host's latest figures. */
const CURRENT_WINDOW_MS = 5 * 60_000;

const last = (r: PromiseSettledResult<MetricQueryResponse>): number | null => (r.status === 'fulfilled' ? (r.value.points.at(-1)?.[1] ?? null) : null);

export function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value && !('added' in value);
}

/** The Fleet view: inventory, collectors, latest figures, per-host charts and the inventory actions. */
export function createFleetStore(transport: Transport, now: () => number = Date.now): FleetStore {
  let listGeneration = 0;
  let detailGeneration = 0;

  async function currentOf(host: string, at: number): Promise<Current> {
    const ask = (metric: string) => transport.metricsQuery({ host, metric, labels: {}, since: at - CURRENT_WINDOW_MS, until: at, stepMs: null });
    const [cpu, used, total, load1] = await Promise.allSettled([ask('cpu_busy_ratio'), ask('memory_used_bytes'), ask('memory_total_bytes'), ask('load1')]);
    return { cpuBusy: last(cpu), memoryUsed: last(used), memoryTotal: last(total), load1: last(load1) };
  }

  return createStore<FleetState>()((set, get) => ({
    hosts: [],
    collectors: {},
    current: {},
    loaded: false,
    loading: false,
    error: null,
    readAt: 0,
    detail: null,
    keyCheck: null,

    async load() {
      const generation = ++listGeneration;
      set({ loading: true });
      try {
        const at = now();
        const [{ hosts }, collectors] = await Promise.all([
          transport.listHosts(),
          // A server without metrics still lists its hosts.
          transport.metricsHosts().catch((err: unknown) => {
            console.warn('metrics collectors unavailable', err);
            return { hosts: [] as CollectorStatusView[] };
          }),
        ]);
        const byHost = Object.fromEntries(collectors.hosts.map((c) => [c.host, c]));
        const collected = hosts.filter((h) => byHost[h.name]?.lastSuccessAt);
        const figures = await Promise.all(collected.map(async (h) => [h.name, await currentOf(h.name, at)] as const));
        if (generation !== listGeneration) return;
        set({ hosts, collectors: byHost, current: Object.fromEntries(figures), loaded: true, loading: false, error: null, readAt: at });
      } catch (err) {
        if (generation === listGeneration) set({ loading: false, error: toApiError(err) });
      }
    },

    async select(host) {
      if (host === null) {
        detailGeneration++;
        set({ detail: null });
        return;
      }
      set({ detail: { host, range: get().detail?.range ?? '1h', since: 0, until: 0, stepMs: null, series: null, charts: [], loading: true, error: null } });
      await get().refreshDetail();
    },

    async setRange(range) {
      const detail = get().detail;
      if (!detail || detail.range === range) return;
      set({ detail: { ...detail, range } });
      await get().refreshDetail();
    },

    async refreshDetail() {
      const detail = get().detail;
      if (!detail) return;
      const generation = ++detailGeneration;
      const { ms, stepMs } = RANGES[detail.range];
      const until = now();
      const since = until - ms;
      set({ detail: { ...detail, loading: true } });
      try {
        const series = await transport.metricsSeries(detail.host);
        const specs = chartSpecs(series.series);
        const charts = await Promise.all(
          specs.map(async (spec): Promise<ChartState> => {
            const answers = await Promise.allSettled(spec.lines.map((line) => transport.metricsQuery({ host: detail.host, metric: line.metric, labels: line.labels, since, until, stepMs })));
            // Scores only for lines that have any stored (most never score above the store's floor).
            const scores = await Promise.all(
              spec.lines.map(async (line) => {
                if (!hasAnomalyScores(series.series, line)) return [];
                try {
                  return (await transport.metricsQuery({ host: detail.host, metric: ANOMALY_SCORE_METRIC, labels: anomalyLabelsOf(line), since, until, stepMs })).points;
                } catch (err) {
                  // The line itself is still drawn; only its marks are missing.
                  console.warn('anomaly scores unavailable', err);
                  return [];
                }
              }),
            );
            const failed = answers.find((a) => a.status === 'rejected');
            return {
              spec,
              results: answers.map((a) => (a.status === 'fulfilled' ? a.value : null)),
              anomalies: scores,
              anomalyThreshold: series.anomalyThreshold ?? DEFAULT_ANOMALY_THRESHOLD,
              error: failed && failed.status === 'rejected' ? toApiError(failed.reason) : null,
            };
          }),
        );
        if (generation !== detailGeneration) return;
        set({ detail: { host: detail.host, range: detail.range, since, until, stepMs, series, charts, loading: false, error: null } });
      } catch (err) {
        if (generation === detailGeneration) set({ detail: { ...detail, loading: false, error: toApiError(err) } });
      }
    },

    async addHost(request) {
      try {
        await transport.addHost(request);
        void get().load();
        return null;
      } catch (err) {
        return toApiError(err);
      }
    },

    async importHosts(request) {
      try {
        const result = await transport.importHosts(request);
        void get().load();
        return result;
      } catch (err) {
        return toApiError(err);
      }
    },

    async checkKey(host) {
      set({ keyCheck: { host, scanning: true, scan: null, trusting: false, trusted: false, error: null } });
      try {
        const scan = await transport.scanHostKey(host);
        if (get().keyCheck?.host === host) set({ keyCheck: { host, scanning: false, scan, trusting: false, trusted: scan.status === 'trusted', error: null } });
      } catch (err) {
        if (get().keyCheck?.host === host) set({ keyCheck: { host, scanning: false, scan: null, trusting: false, trusted: false, error: toApiError(err) } });
      }
    },

    async trustKey() {
      const check = get().keyCheck;
      if (!check?.scan || check.trusting) return;
      set({ keyCheck: { ...check, trusting: true, error: null } });
      try {
        const { trusted } = await transport.trustHost(check.host, check.scan.fingerprint);
        set({ keyCheck: { ...check, scan: trusted, trusting: false, trusted: true, error: null } });
        void get().load();
      } catch (err) {
        set({ keyCheck: { ...check, trusting: false, error: toApiError(err) } });
      }
    },

    closeKeyCheck() {
      set({ keyCheck: null });
    },

    dismissError() {
      set({ error: null });
    },
  }));
}
