// Text to speech: per-sentence synthesis every model has, and an optional streaming form that
// takes text as the LLM writes it and may report when each character or word is spoken.
import type { AudioFrame } from "./audio.js";
import type { WarmupOptions } from "./log.js";

export interface TtsSynthesizeOptions {
  signal: AbortSignal;
}

export interface TtsStreamOptions {
  signal: AbortSignal;
}

/**
 * Where in the stream's audio some text is spoken, in ms from the stream's first audio sample.
 * `text` is a piece of the pushed text (a character, or a word with the spaces after it), in
 * order, so that joining every timing's `text` gives back the text spoken; `endMs` is when the
 * piece's last sound ends.
 */
export interface TtsTiming {
  text: string;
  startMs: number;
  endMs: number;
}

/** Parts a streaming synthesis yields. An error mid-stream is a part, not a throw. */
export type TtsStreamPart =
  /** Mono PCM, any length, at the model's `outputSampleRateHz`. */
  | { type: "audio"; frame: AudioFrame }
  /** When the text is spoken (optional; the loop cuts an interrupted reply's history with it). */
  | { type: "timings"; timings: readonly TtsTiming[] }
  /** Audio for everything pushed before a `flush()` has been yielded. */
  | { type: "flushed" }
  /** Something failed; the stream is over. */
  | { type: "error"; error: Error };

/**
 * One streaming synthesis (one reply): text goes in with `push` as the LLM writes it, audio and
 * timings come out of the async iterator, which ends after `end()` once all audio is out.
 */
export interface TtsTextStream extends AsyncIterable<TtsStreamPart> {
  /** More text, any split (mid-word is fine). Never blocks. */
  push(text: string): void;
  /** Speak what has been pushed now, without waiting for more (end of an LLM step). */
  flush(): void;
  /** No more text: the iterator ends after the last audio. */
  end(): void;
}

/**
 * A text-to-speech model. The voice loop cuts the LLM's reply into sentences as they stream and
 * calls `synthesize` for each, so a model without streaming input still starts speaking after
 * the first sentence. A model with `streamText` gets the text as it is written instead. Frames
 * may be any length; the loop re-frames and paces them.
 */
export interface TtsModel {
  readonly specificationVersion: "v1";
  readonly provider: string;
  readonly modelId: string;
  /** Sample rate of the frames `synthesize` and `streamText` yield. */
  readonly outputSampleRateHz: number;
  warmup?(options: WarmupOptions): Promise<void>;
  /** Mono PCM for `text`, first frame as soon as possible. Stops when `signal` aborts. */
  synthesize(text: string, options: TtsSynthesizeOptions): AsyncIterable<AudioFrame>;
  /** Optional streaming input: one stream per reply. Stops when `signal` aborts. */
  streamText?(options: TtsStreamOptions): TtsTextStream;
  close?(): Promise<void>;
}
