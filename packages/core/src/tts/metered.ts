import type { Clock } from "@callwright/provider-utils";
import { abortable } from "@callwright/provider-utils";
import type { AudioFrame, TtsModel, TtsStreamPart } from "@callwright/spec";
import { frameDurationMs } from "@callwright/spec";
import { isAbortError, ProviderError } from "../errors/index.js";
import { type ServedBy, servedByOf } from "../fallback/served-by.js";
import type { MetricsCollector } from "../metrics/collector.js";

/** What one synthesis measured. */
export interface TtsCallStats {
  /** Text handed to TTS → its first audio, ms. */
  firstAudioMs: number | undefined;
  /** Audio produced, ms. */
  audioMs: number;
  cancelled: boolean;
  /** The model of a fallback list that spoke (undefined for a model that is not a fallback). */
  servedBy?: ServedBy;
}

/**
 * Synthesises `text`, measuring into `meter.metrics`: time to first audio (observed when it
 * arrives), audio duration and characters (totals), cancellations. Ends quietly when `signal`
 * aborts; a provider failure is thrown as a `ProviderError`.
 */
export function meteredSynthesize(
  tts: TtsModel,
  text: string,
  options: { signal: AbortSignal },
  meter: { metrics: MetricsCollector; clock: Clock },
): { frames: AsyncGenerator<AudioFrame>; stats: TtsCallStats } {
  const stats: TtsCallStats = { firstAudioMs: undefined, audioMs: 0, cancelled: false };
  const { metrics, clock } = meter;
  const { signal } = options;
  async function* run(): AsyncGenerator<AudioFrame> {
    const startedAtMs = clock.now();
    metrics.add("tts_characters__total", text.length);
    let completed = false;
    let failed = false;
    try {
      const source = tts.synthesize(text, { signal });
      let provider: string | undefined;
      for await (const frame of abortable(source, signal)) {
        if (frame.samples.length === 0) continue;
        if (stats.firstAudioMs === undefined) {
          stats.firstAudioMs = clock.now() - startedAtMs;
          provider = noteServedBy(stats, source, metrics);
          metrics.observe("tts_latency_ms__avg", stats.firstAudioMs, provider);
        }
        const ms = frameDurationMs(frame);
        stats.audioMs += ms;
        metrics.add("tts_audio_duration_ms__total", ms, provider);
        yield frame;
      }
      completed = true;
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      failed = true;
      throw error instanceof ProviderError
        ? error
        : new ProviderError(
            `the TTS (${tts.provider} ${tts.modelId}) failed: ${(error as Error)?.message ?? error}`,
            {
              provider: tts.provider,
              cause: error,
            },
          );
    } finally {
      // Aborted, or abandoned by its consumer: a cancellation, not a latency sample.
      if (!completed && !failed) {
        stats.cancelled = true;
        metrics.add("tts_cancelled__total");
      }
    }
  }
  return { frames: run(), stats };
}

/** A streaming synthesis as the loop uses it: text in, parts out, measured. */
export interface MeteredTextStream {
  /** Text for the TTS; the first push starts the first-audio clock. */
  push(text: string): void;
  flush(): void;
  end(): void;
  /** The stream's parts; ends quietly when the signal aborts; a failure is an `error` part. */
  readonly parts: AsyncGenerator<TtsStreamPart>;
  readonly stats: TtsCallStats;
}

/**
 * Opens `tts.streamText` measuring like `meteredSynthesize`: time from the first text pushed to
 * the first audio, audio duration and characters (totals), cancellations. The model must have
 * `streamText`.
 */
export function meteredTextStream(
  tts: TtsModel,
  options: { signal: AbortSignal },
  meter: { metrics: MetricsCollector; clock: Clock },
): MeteredTextStream {
  const stats: TtsCallStats = { firstAudioMs: undefined, audioMs: 0, cancelled: false };
  const { metrics, clock } = meter;
  const { signal } = options;
  if (tts.streamText === undefined) throw new TypeError(`${tts.provider} ${tts.modelId} has no streamText`);
  const stream = tts.streamText({ signal });
  let firstTextAtMs: number | undefined;
  const wrap = (error: unknown): Error =>
    error instanceof ProviderError
      ? error
      : new ProviderError(
          `the TTS (${tts.provider} ${tts.modelId}) failed: ${(error as Error)?.message ?? error}`,
          { provider: tts.provider, cause: error },
        );
  async function* run(): AsyncGenerator<TtsStreamPart> {
    let provider: string | undefined;
    let completed = false;
    let failed = false;
    try {
      for await (const part of abortable(stream, signal)) {
        if (part.type === "error") {
          failed = true;
          yield { type: "error", error: wrap(part.error) };
          return;
        }
        if (part.type === "audio") {
          if (part.frame.samples.length === 0) continue;
          if (stats.firstAudioMs === undefined) {
            stats.firstAudioMs = clock.now() - (firstTextAtMs ?? clock.now());
            provider = noteServedBy(stats, stream, metrics);
            metrics.observe("tts_latency_ms__avg", stats.firstAudioMs, provider);
          }
          const ms = frameDurationMs(part.frame);
          stats.audioMs += ms;
          metrics.add("tts_audio_duration_ms__total", ms, provider);
        }
        yield part;
      }
      completed = true;
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      failed = true;
      yield { type: "error", error: wrap(error) };
    } finally {
      if (!completed && !failed) {
        stats.cancelled = true;
        metrics.add("tts_cancelled__total");
      }
    }
  }
  return {
    push(text) {
      if (text.length === 0 || signal.aborted) return;
      firstTextAtMs ??= clock.now();
      metrics.add("tts_characters__total", text.length);
      stream.push(text);
    },
    flush: () => {
      if (!signal.aborted) stream.flush();
    },
    end: () => {
      if (!signal.aborted) stream.end();
    },
    parts: run(),
    stats,
  };
}

/** Records which member of a fallback spoke (and counts a fallback); returns its provider. */
function noteServedBy(stats: TtsCallStats, source: unknown, metrics: MetricsCollector): string | undefined {
  const served = servedByOf(source);
  if (served === undefined) return undefined;
  stats.servedBy = served;
  if (served.index > 0) metrics.add("tts_fallbacks__total", 1, served.provider);
  return served.provider;
}
