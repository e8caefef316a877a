import { AVERAGE_METRICS, type AverageMetric, TOTAL_METRICS, type TotalMetric } from "./names.js";

/** A sample the collector hands to observers (Prometheus, OpenTelemetry) as it is recorded. */
export type MetricSample =
  | { kind: "average"; name: AverageMetric; value: number; provider?: string }
  | { kind: "total"; name: TotalMetric; value: number; provider?: string };

export type MetricsSnapshot = Record<string, number | null>;

/** How many recent e2e samples the percentiles are computed over. */
const PERCENTILE_WINDOW = 256;

/**
 * Per-session metrics. Cheap to record (no allocation per sample); `snapshot()` is what the
 * HTTP metrics route returns. Observers see every sample, for process-wide aggregation.
 */
export class MetricsCollector {
  readonly #sums = new Map<AverageMetric, { sum: number; count: number }>();
  readonly #totals = new Map<TotalMetric, number>();
  readonly #e2e = new Float64Array(PERCENTILE_WINDOW);
  #e2eCount = 0;
  readonly #observers = new Set<(sample: MetricSample) => void>();

  /**
   * Records one completed measurement of an average metric. NaN and negatives are ignored.
   * `provider` names the model that was measured when it is not the agent's own (the member of a
   * fallback list that served); observers label the sample with it.
   */
  observe(name: AverageMetric, value: number, provider?: string): void {
    if (!Number.isFinite(value) || value < 0) return;
    const entry = this.#sums.get(name);
    if (entry === undefined) this.#sums.set(name, { sum: value, count: 1 });
    else {
      entry.sum += value;
      entry.count += 1;
    }
    if (name === "turn_e2e_latency_ms__avg") {
      this.#e2e[this.#e2eCount % PERCENTILE_WINDOW] = value;
      this.#e2eCount += 1;
    }
    const sample: MetricSample =
      provider === undefined ? { kind: "average", name, value } : { kind: "average", name, value, provider };
    for (const observer of this.#observers) observer(sample);
  }

  /** Adds to a total (`provider` as for `observe`). */
  add(name: TotalMetric, value = 1, provider?: string): void {
    if (!Number.isFinite(value)) return;
    this.#totals.set(name, (this.#totals.get(name) ?? 0) + value);
    const sample: MetricSample =
      provider === undefined ? { kind: "total", name, value } : { kind: "total", name, value, provider };
    for (const observer of this.#observers) observer(sample);
  }

  average(name: AverageMetric): number | null {
    const entry = this.#sums.get(name);
    return entry === undefined ? null : entry.sum / entry.count;
  }

  total(name: TotalMetric): number {
    return this.#totals.get(name) ?? 0;
  }

  /** p in 0..100 over the most recent e2e samples; null when there are none. */
  e2ePercentile(p: number): number | null {
    const n = Math.min(this.#e2eCount, PERCENTILE_WINDOW);
    if (n === 0) return null;
    const sorted = Array.from(this.#e2e.subarray(0, n)).sort((a, b) => a - b);
    const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
    return sorted[rank]!;
  }

  /** Every metric name with its value: averages null when empty, totals 0 when empty. */
  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = {};
    for (const name of AVERAGE_METRICS) out[name] = this.average(name);
    for (const name of TOTAL_METRICS) out[name] = this.total(name);
    out.turn_e2e_latency_ms__p50 = this.e2ePercentile(50);
    out.turn_e2e_latency_ms__p95 = this.e2ePercentile(95);
    return out;
  }

  /** Calls `observer` on each new sample; returns a function that removes it. */
  subscribe(observer: (sample: MetricSample) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }
}
