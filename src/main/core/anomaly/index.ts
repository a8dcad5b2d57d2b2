export { AnomalyDetector, DEFAULT_ANOMALY_OPTIONS, ANOMALY_ALERT_THRESHOLD, type AnomalyDetectorOptions } from './detector';
export { AnomalyTracker, DEFAULT_TRACKER_OPTIONS, type AnomalyEvent, type AnomalyScore, type AnomalySampleBatch, type AnomalyTrackerOptions } from './tracker';
