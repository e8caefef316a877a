// Metrics: the per-session collector with the AgentMetrics names (see docs/voice-loop.md).
export { type MetricSample, MetricsCollector, type MetricsSnapshot } from "./collector.js";
export {
  AVERAGE_METRICS,
  type AverageMetric,
  type MetricName,
  PERCENTILE_METRICS,
  type PercentileMetric,
  SEED_METRICS,
  TOTAL_METRICS,
  type TotalMetric,
} from "./names.js";
