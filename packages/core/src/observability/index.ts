// Observability: process-wide Prometheus metrics and OpenTelemetry spans/instruments fed by the
// launcher's session events and every session's metrics collector. No per-session labels.
export type { ObservedLauncher, StartedSession } from "./follow-sessions.js";
export {
  COUNTER_METRICS,
  type ExportedMetric,
  LATENCY_METRICS,
  type ProviderKind,
} from "./metric-names.js";
export {
  createPrometheusMetrics,
  defaultPrometheusMetricsOptions,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from "./prometheus.js";
export {
  attachTelemetry,
  INSTRUMENTATION_SCOPE,
  type TelemetryOptions,
  telemetryConfigured,
} from "./telemetry.js";
