// The per-session metric names: the seed's six, the rest of Python's AgentMetrics, and ours.
// An average with no samples is null; a total starts at 0 (docs/http-api.md, docs/voice-loop.md).

/** Averages (`__avg`): null until the first completed measurement. */
export const AVERAGE_METRICS = [
  "llm_latency_ms__avg",
  "llm_time_to_first_token_ms__avg",
  "stt_latency_ms__avg",
  "tts_latency_ms__avg",
  "llm_tool_latency_ms__avg",
  "turn_duration_ms__avg",
  "turn_trailing_silence_ms__avg",
  "turn_e2e_latency_ms__avg",
  "vlm_inference_latency_ms__avg",
  "video_processing_latency_ms__avg",
] as const;

/** Totals (`__total`): start at 0. */
export const TOTAL_METRICS = [
  "llm_input_tokens__total",
  "llm_output_tokens__total",
  "llm_tool_calls__total",
  "llm_cancelled__total",
  "llm_fallbacks__total",
  "stt_audio_duration_ms__total",
  "stt_fallbacks__total",
  "tts_audio_duration_ms__total",
  "tts_characters__total",
  "tts_cancelled__total",
  "tts_fallbacks__total",
  "turns__total",
  "interruptions__total",
  "realtime_audio_input_bytes__total",
  "realtime_audio_output_bytes__total",
  "realtime_audio_input_duration_ms__total",
  "realtime_audio_output_duration_ms__total",
  "realtime_user_transcriptions__total",
  "realtime_agent_transcriptions__total",
  "vlm_inferences__total",
  "vlm_input_tokens__total",
  "vlm_output_tokens__total",
  "video_frames_processed__total",
] as const;

/** Percentiles of a latency, computed over the session's most recent samples. */
export const PERCENTILE_METRICS = ["turn_e2e_latency_ms__p50", "turn_e2e_latency_ms__p95"] as const;

export type AverageMetric = (typeof AVERAGE_METRICS)[number];
export type TotalMetric = (typeof TOTAL_METRICS)[number];
export type PercentileMetric = (typeof PERCENTILE_METRICS)[number];
export type MetricName = AverageMetric | TotalMetric | PercentileMetric;

/** The seed's six, which every metrics response must carry. */
export const SEED_METRICS = [
  "llm_latency_ms__avg",
  "llm_time_to_first_token_ms__avg",
  "llm_input_tokens__total",
  "llm_output_tokens__total",
  "stt_latency_ms__avg",
  "tts_latency_ms__avg",
] as const satisfies readonly MetricName[];
