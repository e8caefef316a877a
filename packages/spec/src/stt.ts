// Speech to text: a streaming recognition session per participant; parts out as a tagged union.
import type { AudioFrame } from "./audio.js";
import type { WarmupOptions } from "./log.js";

/** Parts a recognition stream yields. An error mid-stream is a part, not a throw. */
export type SttPart =
  /** A hypothesis that may still change. */
  | { type: "interim"; text: string }
  /**
   * Text that will not change. `segmentEnd` is true on the final that answers a `flush()`: it
   * covers every frame pushed before that flush (its text may be empty if nothing was said).
   */
  | { type: "final"; text: string; segmentEnd: boolean; confidence?: number }
  /** The provider's own voice detection heard speech start (optional; the core has a VAD). */
  | { type: "speech_started" }
  /**
   * The provider's own endpointing says the speaker finished (Deepgram's `speech_final` or
   * `UtteranceEnd`). Optional; the core's end-of-turn decision weighs it when present.
   */
  | { type: "speech_ended" }
  /** Something failed. `recoverable` false means the stream is over. */
  | { type: "error"; error: Error; recoverable: boolean };

export interface SttStreamOptions {
  signal: AbortSignal;
  /** BCP-47 language, e.g. "en-US". */
  language?: string;
  /** Who is speaking; for providers that keep per-speaker state or logs. */
  participantId?: string;
}

/**
 * One streaming recognition session (one participant). Audio goes in with `push`, parts come
 * out of the async iterator. The voice loop pushes the speech it hears (with prefix padding) and
 * calls `flush()` when the speaker stops, so the final arrives as soon as possible.
 */
export interface SttStream extends AsyncIterable<SttPart> {
  /** Mono PCM at the model's `inputSampleRateHz`. Never blocks; buffers if needed. */
  push(frame: AudioFrame): void;
  /** The speech segment ended: produce its `final` with `segmentEnd: true` now. */
  flush(): void;
  /** No more audio: the iterator ends after the last parts. */
  end(): void;
}

/** A speech-to-text model. */
export interface SttModel {
  readonly specificationVersion: "v1";
  readonly provider: string;
  readonly modelId: string;
  /** Sample rate `push` expects, e.g. 16000. */
  readonly inputSampleRateHz: number;
  warmup?(options: WarmupOptions): Promise<void>;
  stream(options: SttStreamOptions): SttStream;
  close?(): Promise<void>;
}
