import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { ConfigError } from "../errors/index.js";
import type { SessionEndReason } from "../launcher/types.js";
import type { MetricSample } from "../metrics/index.js";
import { followSessions, type ObservedLauncher } from "./follow-sessions.js";
import {
  COUNTER_METRICS,
  LATENCY_BUCKETS_S,
  LATENCY_METRICS,
  type ProviderKind,
  SESSION_BUCKETS_S,
  START_BUCKETS_S,
} from "./metric-names.js";

export interface PrometheusMetricsOptions {
  /** Prefix of callwright's metric names. Default `callwright_`. */
  prefix: string;
  /** Also export Node.js process metrics (CPU, memory, event loop lag, GC) on this registry. Default true. */
  processMetrics: boolean;
  /** Labels added to every series, e.g. `{ service: "support-agent" }`. Keep them few and bounded. */
  defaultLabels?: Record<string, string>;
  /**
   * The prom-client registry to register on. Default a new one per call (never the global
   * default), so several servers in one process, and tests, do not collide.
   */
  registry?: Registry;
}

export const defaultPrometheusMetricsOptions = {
  prefix: "callwright_",
  processMetrics: true,
} as const satisfies Partial<PrometheusMetricsOptions>;

/** Process-wide metrics of one or more launchers, rendered in the Prometheus text format. */
export interface PrometheusMetrics {
  readonly registry: Registry;
  /** The `Content-Type` of `render()`'s output. */
  readonly contentType: string;
  /** Starts counting a launcher's sessions (and tapping their agents' metrics); returns a detach function. */
  attach(launcher: ObservedLauncher): () => void;
  /** The exposition text for `GET /metrics`. */
  render(): Promise<string>;
}

/** Every reason a session ends, so each counter series exists (at 0) from the first scrape. */
const END_REASONS: readonly SessionEndReason[] = [
  "completed",
  "idle",
  "duration",
  "closed",
  "error",
  "drain",
];

/**
 * Creates the Prometheus metrics of a server: sessions active, started, ended by reason and
 * refused by cause; start and session-length histograms; turn and per-provider latency
 * histograms and counters fed by every session's metrics collector; Node.js process metrics.
 * Labels are bounded: end reason, refusal code, provider name; never a session or call id.
 */
export function createPrometheusMetrics(options: Partial<PrometheusMetricsOptions> = {}): PrometheusMetrics {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const opts: PrometheusMetricsOptions = { ...defaultPrometheusMetricsOptions, ...given };
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(opts.prefix)) {
    throw new ConfigError(`prefix must be a valid Prometheus name start (got "${opts.prefix}")`);
  }
  const registry = opts.registry ?? new Registry();
  if (opts.defaultLabels !== undefined) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  const p = opts.prefix;
  const launchers = new Set<ObservedLauncher>();

  new Gauge({
    name: `${p}sessions_active`,
    help: "Sessions running on this node (agent in its call).",
    registers: [registry],
    collect() {
      let running = 0;
      for (const launcher of launchers) running += launcher.stats.running;
      this.set(running);
    },
  });
  new Gauge({
    name: `${p}node_ready`,
    help: "1 while this node takes new sessions (what GET /ready answers), else 0.",
    registers: [registry],
    collect() {
      this.set(launchers.size > 0 && [...launchers].every((l) => l.ready) ? 1 : 0);
    },
  });
  const started = new Counter({
    name: `${p}sessions_started_total`,
    help: "Sessions started on this node.",
    registers: [registry],
  });
  const ended = new Counter({
    name: `${p}sessions_ended_total`,
    help: "Sessions ended on this node, by reason (completed, idle, duration, closed, error, drain).",
    labelNames: ["reason"],
    registers: [registry],
  });
  for (const reason of END_REASONS) ended.labels(reason).inc(0);
  const rejected = new Counter({
    name: `${p}sessions_rejected_total`,
    help: "Session starts refused or failed on this node, by code.",
    labelNames: ["code"],
    registers: [registry],
  });
  const startSeconds = new Histogram({
    name: `${p}session_start_seconds`,
    help: "Seconds from a start request to the session registered (admission, registry, createAgent).",
    buckets: [...START_BUCKETS_S],
    registers: [registry],
  });
  const sessionSeconds = new Histogram({
    name: `${p}session_duration_seconds`,
    help: "Seconds from a session's start to its end.",
    buckets: [...SESSION_BUCKETS_S],
    registers: [registry],
  });

  const latency = new Map(
    LATENCY_METRICS.map((m) => [
      m.sample,
      {
        metric: m,
        histogram: new Histogram({
          name: `${p}${m.promName}`,
          help: m.help,
          labelNames: m.provider === null ? [] : ["provider"],
          buckets: [...LATENCY_BUCKETS_S],
          registers: [registry],
        }),
      },
    ]),
  );
  const counters = new Map(
    COUNTER_METRICS.map((m) => [
      m.sample,
      {
        metric: m,
        counter: new Counter({
          name: `${p}${m.promName}`,
          help: m.help,
          labelNames: m.provider === null ? [] : ["provider"],
          registers: [registry],
        }),
      },
    ]),
  );

  return {
    registry,
    contentType: registry.contentType,
    attach(launcher) {
      launchers.add(launcher);
      const offRejected = launcher.on("session_rejected", (event) => rejected.labels(event.code).inc());
      const unfollow = followSessions(launcher, {
        started(event, agent) {
          started.inc();
          if (event.startDurationMs !== undefined) startSeconds.observe(event.startDurationMs / 1000);
          if (agent === undefined) return;
          const providers: Record<ProviderKind, string> = {
            llm: agent.llm?.provider ?? "none",
            stt: agent.stt?.provider ?? "none",
            tts: agent.tts?.provider ?? "none",
          };
          return agent.metrics.subscribe((sample: MetricSample) => {
            if (sample.kind === "average") {
              const entry = latency.get(sample.name);
              if (entry === undefined) return;
              const value = sample.value * entry.metric.scale;
              if (entry.metric.provider === null) entry.histogram.observe(value);
              else
                entry.histogram.observe(
                  { provider: sample.provider ?? providers[entry.metric.provider] },
                  value,
                );
            } else {
              const entry = counters.get(sample.name);
              if (entry === undefined || sample.value < 0) return;
              const value = sample.value * entry.metric.scale;
              if (entry.metric.provider === null) entry.counter.inc(value);
              else
                entry.counter.inc({ provider: sample.provider ?? providers[entry.metric.provider] }, value);
            }
          });
        },
        ended(event) {
          ended.labels(event.reason).inc();
          sessionSeconds.observe(event.durationMs / 1000);
        },
      });
      return () => {
        offRejected();
        unfollow();
        launchers.delete(launcher);
      };
    },
    render: () => registry.metrics(),
  };
}
