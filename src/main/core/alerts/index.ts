export { AlertService, AlertCapacityError, SilenceError, severityOf, type RaiseInput, type AlertServiceDeps, type AlertMetricsPort, type AnomalyFeed, type AlertEvent, type AlertInterpreter as AlertInterpreterPort } from './service';
export { AlertInterpreter, CONTEXT_TOOLS, categorize, metricOf, type ContextToolName, type ContextTools, type ExplainModel, type InterpreterDeps } from './interpret';
export { explainOffline, type GatheredContext, type AlertCategory } from './explain';
export { alertsConfig, ThresholdRuleSchema, DEFAULT_THRESHOLDS, type AlertsConfig, type ThresholdRule } from './config';
export { ThresholdEvaluator, type ThresholdTransition } from './thresholds';
export { InterpretationLimiter, type InterpretationLimits, type Admission } from './rate-limit';
export { silenceMatches, silenceActive, compileMatcher } from './silences';
