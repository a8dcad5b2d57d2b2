export { forecastCrossing, findResets, cleanPoints, DEFAULT_FORECAST_OPTIONS, type Forecast, type ForecastOptions, type ForecastReason, type Direction } from './forecast';
export { theilSen, thin, MAX_FIT_POINTS, type Point, type SenFit } from './theil-sen';
export { parseSeriesCsv, parseTimestamp, CsvSeriesError, MAX_CSV_ROWS } from './csv';
export { forecastConfig, endpointOf, type ForecastConfig, type TlsEndpoint } from './config';
export { ForecastWatcher, trendRules, describeCrossing, forecastFingerprint, quoteSubject, isoMinute, type ForecastAlert, type ForecastAlertSink, type ForecastSeriesReader, type ForecastWatcherDeps, type WatcherEvaluation, type TrendRule, type AlertSeverity } from './watcher';
export { TlsExpiryWatcher, readCertificateExpiry, type CertificateReading, type TlsExpiryDeps } from './tls-expiry';
