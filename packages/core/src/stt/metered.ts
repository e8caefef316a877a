import type { Clock } from "@callwright/provider-utils";
import type { AudioFrame, SttPart, SttStream } from "@callwright/spec";
import { frameDurationMs } from "@callwright/spec";
import { servedByOf } from "../fallback/served-by.js";
import type { MetricsCollector } from "../metrics/collector.js";

/** A final transcript, with when it arrived. */
export type MeteredSttPart = SttPart & { receivedAtMs: number };

/**
 * One STT stream with its measurements: audio pushed (`stt_audio_duration_ms__total`) and, for
 * each `flush(speechEndedAtMs)`, the time from the end of that speech (its last voiced frame) to
 * the `final` with `segmentEnd` that answers it (`stt_latency_ms__avg`).
 */
export class MeteredSttStream implements AsyncIterable<MeteredSttPart> {
  readonly #inner: SttStream;
  readonly #metrics: MetricsCollector;
  readonly #clock: Clock;
  /** Speech-end times of flushes not answered yet, oldest first. */
  readonly #pendingFlushes: number[] = [];

  constructor(inner: SttStream, meter: { metrics: MetricsCollector; clock: Clock }) {
    this.#inner = inner;
    this.#metrics = meter.metrics;
    this.#clock = meter.clock;
  }

  /** Flushes not answered by a segment-end final yet. */
  get pendingFlushes(): number {
    return this.#pendingFlushes.length;
  }

  push(frame: AudioFrame): void {
    this.#metrics.add("stt_audio_duration_ms__total", frameDurationMs(frame));
    this.#inner.push(frame);
  }

  /** The speech segment ended at clock time `speechEndedAtMs` (its last voiced frame). */
  flush(speechEndedAtMs: number): void {
    this.#pendingFlushes.push(speechEndedAtMs);
    this.#inner.flush();
  }

  end(): void {
    this.#inner.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MeteredSttPart> {
    for await (const part of this.#inner) {
      const receivedAtMs = this.#clock.now();
      if (part.type === "final" && part.segmentEnd) {
        // A fallback's stream says which of its models answered this segment.
        const served = servedByOf(this.#inner);
        if (served !== undefined && served.index > 0) {
          this.#metrics.add("stt_fallbacks__total", 1, served.provider);
        }
        const speechEndedAtMs = this.#pendingFlushes.shift();
        if (speechEndedAtMs !== undefined)
          this.#metrics.observe("stt_latency_ms__avg", receivedAtMs - speechEndedAtMs, served?.provider);
      }
      yield { ...part, receivedAtMs };
    }
  }
}
