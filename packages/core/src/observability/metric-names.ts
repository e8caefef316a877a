// How the per-session collector's names (docs/voice-loop.md) become process-wide metrics:
// averages become latency histograms in seconds, totals become counters (ms totals in seconds).
import { AVERAGE_METRICS, type AverageMetric, TOTAL_METRICS, type TotalMetric } from "../metrics/index.js";

/** Which of the agent's models a metric measures; its provider name becomes a label. */
export type ProviderKind = "llm" | "stt" | "tts";

export interface ExportedMetric<Sample extends string> {
  /** The collector's name, e.g. `stt_latency_ms__avg`. */
  readonly sample: Sample;
  /** Prometheus name without the prefix, e.g. `stt_latency_seconds`. */
  readonly promName: string;
  /** OpenTelemetry instrument name, e.g. `callwright.stt.latency`. */
  readonly otelName: string;
  /** OpenTelemetry unit (UCUM): "s", "By", "{token}", "1"... */
  readonly unit: string;
  /** Multiply a sample by this to get the exported unit (ms → s: 0.001). */
  readonly scale: number;
  /** Set when the metric measures one model: exported with a `provider` label. */
  readonly provider: ProviderKind | null;
  readonly help: string;
}

const averageHelp: Record<AverageMetric, string> = {
  llm_latency_ms__avg: "LLM request sent to stream complete",
  llm_time_to_first_token_ms__avg: "LLM request sent to first text or tool-call delta",
  stt_latency_ms__avg: "end of the user's speech to its final transcript",
  tts_latency_ms__avg: "text handed to TTS to its first audio",
  llm_tool_latency_ms__avg: "tool invoked to tool result",
  turn_duration_ms__avg: "user speech start to end, per turn",
  turn_trailing_silence_ms__avg: "end of the user's speech to end of turn decided",
  turn_e2e_latency_ms__avg: "end of the user's speech to the first agent audio handed to the edge",
  vlm_inference_latency_ms__avg: "a VLM inference sent to its result",
  video_processing_latency_ms__avg: "a video frame received to processed",
};

function providerOf(name: string): ProviderKind | null {
  if (name.startsWith("llm_")) return "llm";
  if (name.startsWith("stt_")) return "stt";
  if (name.startsWith("tts_")) return "tts";
  return null;
}

/** `llm_time_to_first_token` → `callwright.llm.time_to_first_token`; `turns` → `callwright.turns`. */
function otelName(base: string): string {
  const cut = base.indexOf("_");
  return cut < 0 ? `callwright.${base}` : `callwright.${base.slice(0, cut)}.${base.slice(cut + 1)}`;
}

/** The latency histograms: one per `__avg` metric, in seconds. */
export const LATENCY_METRICS: readonly ExportedMetric<AverageMetric>[] = AVERAGE_METRICS.map((sample) => {
  const base = sample.replace(/_ms__avg$/, "");
  return {
    sample,
    promName: `${base}_seconds`,
    otelName: otelName(base),
    unit: "s",
    scale: 0.001,
    provider: providerOf(sample),
    help: `Seconds from ${averageHelp[sample]}.`,
  };
});

function totalUnit(base: string): { unit: string; scale: number; promBase: string } {
  if (base.endsWith("_ms")) return { unit: "s", scale: 0.001, promBase: `${base.slice(0, -3)}_seconds` };
  if (base.endsWith("_bytes")) return { unit: "By", scale: 1, promBase: base };
  if (base.endsWith("_tokens")) return { unit: "{token}", scale: 1, promBase: base };
  return { unit: "1", scale: 1, promBase: base };
}

/** The counters: one per `__total` metric (`_total` suffix in Prometheus, seconds for ms totals). */
export const COUNTER_METRICS: readonly ExportedMetric<TotalMetric>[] = TOTAL_METRICS.map((sample) => {
  const base = sample.replace(/__total$/, "");
  const { unit, scale, promBase } = totalUnit(base);
  return {
    sample,
    promName: `${promBase}_total`,
    otelName: otelName(base.replace(/_ms$/, "")),
    unit,
    scale,
    provider: providerOf(sample),
    help: `Sum over this node's sessions of ${sample} (${unit === "s" ? "in seconds" : unit}).`,
  };
});

/** Bucket bounds (seconds) for latencies of voice turns: 50 ms to 10 s. */
export const LATENCY_BUCKETS_S = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10] as const;

/** Bucket bounds (seconds) for a session's start (admission, registry, createAgent). */
export const START_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Bucket bounds (seconds) for a whole session's length: 10 s to 2 h. */
export const SESSION_BUCKETS_S = [10, 30, 60, 120, 300, 600, 1_200, 1_800, 3_600, 7_200] as const;
