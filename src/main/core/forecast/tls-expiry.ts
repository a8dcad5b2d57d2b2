import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { ForecastConfig, TlsEndpoint } from './config';
import { endpointOf } from './config';
import { forecastFingerprint, isoMinute, quoteSubject, type AlertSeverity, type ForecastAlertSink } from './watcher';

/**
 * Certificate expiry of configured endpoints: not a trend but a date the certificate
 * carries. The handshake only reads the peer's certificate (`valid_to`); nothing is sent
 * and the chain is not judged (an expired or self-signed certificate must still be read to
 * be reported). The alert names the endpoint as configured and the expiry time, never text
 * from the certificate: its subject is whatever the server chose to write.
 */

export interface CertificateReading {
  endpoint: string;
  /** Unix ms of notAfter, or null with an error. */
  expiresAt: number | null;
  error: string | null;
}

/** Reads the certificate an endpoint presents (bounded by `timeoutMs`). */
export function readCertificateExpiry(endpoint: TlsEndpoint, timeoutMs: number): Promise<CertificateReading> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (expiresAt: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ endpoint: endpoint.label, expiresAt, error });
    };
    const servername = endpoint.servername ?? (isIP(endpoint.host) ? undefined : endpoint.host);
    // Reading, not trusting: verification would hide exactly the certificates that need an alert.
    const socket = connect({ host: endpoint.host, port: endpoint.port, servername, rejectUnauthorized: false });
    const timer = setTimeout(() => done(null, `no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const t = cert && typeof cert.valid_to === 'string' ? Date.parse(cert.valid_to) : Number.NaN;
      done(Number.isFinite(t) ? t : null, Number.isFinite(t) ? null : 'the peer sent no certificate with a readable expiry');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done(null, err.code ?? err.message));
    socket.once('close', () => done(null, 'closed before the handshake finished'));
  });
}

const DAY = 86_400_000;

export interface TlsExpiryDeps {
  config: ForecastConfig;
  sink: ForecastAlertSink;
  now?: () => number;
  logger?: { warn(obj: object, msg: string): void };
  /** The inventory host an endpoint's host is (by name or address), if any: the alert is about that host. */
  hostOf?: (endpointHost: string) => string | null;
  /** For tests: how a certificate is read. */
  read?: (endpoint: TlsEndpoint, timeoutMs: number) => Promise<CertificateReading>;
}

export class TlsExpiryWatcher {
  private readonly endpoints: TlsEndpoint[];
  private readonly raised = new Map<string, { severity: AlertSeverity; expiresAt: number }>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CertificateReading[]> | null = null;
  /** The last reading per endpoint (the UI, tests). */
  readonly readings = new Map<string, CertificateReading>();

  constructor(private readonly deps: TlsExpiryDeps) {
    this.endpoints = deps.config.tls.endpoints.map(endpointOf);
  }

  start(): void {
    if (this.timer || !this.deps.config.enabled || this.endpoints.length === 0) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.deps.config.tls.checkMinutes * 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads every endpoint once (at most one pass at a time) and raises or resolves. */
  check(): Promise<CertificateReading[]> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<CertificateReading[]> {
    const { tls } = this.deps.config;
    const read = this.deps.read ?? readCertificateExpiry;
    const readings = await Promise.all(this.endpoints.map((e) => read(e, tls.timeoutSeconds * 1000)));
    const now = (this.deps.now ?? Date.now)();
    for (const [i, r] of readings.entries()) {
      const endpoint = this.endpoints[i] as TlsEndpoint;
      this.readings.set(endpoint.label, r);
      const fingerprint = forecastFingerprint('tls_certificate_expiry', endpoint.host, { endpoint: endpoint.label });
      if (r.expiresAt === null) {
        // Unreachable now says nothing about the certificate: the alert (if any) stays as it is.
        this.deps.logger?.warn({ endpoint: endpoint.label, error: r.error }, 'could not read a TLS certificate');
        continue;
      }
      const left = r.expiresAt - now;
      const before = this.raised.get(fingerprint);
      if (left <= tls.warnDays * DAY) {
        const severity: AlertSeverity = left <= tls.criticalDays * DAY ? 'critical' : 'warning';
        if (before && before.severity === severity && before.expiresAt === r.expiresAt) continue;
        const label = quoteSubject(endpoint.label);
        const summary = left <= 0 ? `the TLS certificate of ${label} expired at ${isoMinute(r.expiresAt)}` : `the TLS certificate of ${label} expires at ${isoMinute(r.expiresAt)} (in ${Math.max(0, Math.floor(left / DAY))} days)`;
        this.deps.sink.raise({
          source: 'forecast',
          host: this.deps.hostOf?.(endpoint.host) ?? null,
          name: 'tls_certificate_expiry',
          severity,
          summary,
          labels: { endpoint: endpoint.label },
          fingerprint,
          value: left / DAY,
          predictedAt: new Date(r.expiresAt).toISOString(),
        });
        this.raised.set(fingerprint, { severity, expiresAt: r.expiresAt });
      } else if (before) {
        // Renewed.
        this.deps.sink.resolve(fingerprint);
        this.raised.delete(fingerprint);
      }
    }
    return readings;
  }
}
