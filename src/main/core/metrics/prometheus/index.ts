/**
 * Sources besides the SSH collector (issue 17 item 2): a Prometheus server's HTTP API and
 * node_exporter scraped directly, both mapped onto our metric names. Which one feeds a
 * host is `metrics.source` / per host or tag `source:` (collector | prometheus | node_exporter).
 */
export { parseExposition, parseValue, ExpositionError, type Exposition, type ExpositionSample, type MetricType } from './exposition';
export { rawSampleFromNodeExporter } from './node-mapping';
export { NodeExporterSource, nodeExporterUrl, type NodeExporterSourceDeps } from './node-exporter-source';
export { PrometheusSource, mapResults, type PrometheusSourceDeps, type SeriesPoints } from './prometheus-source';
export { mappedQueries, FS_SIZE_QUERY, type MappedQuery } from './promql';
export { hostForInstance, instanceHost, authorizationHeader, SourceError } from './common';
export { httpGet, HttpGetError } from './http';
