import type { AudioFrame } from "../audio/frame.js";
import type { WarmupOptions } from "../vad/types.js";

export interface TtsSynthesizeOptions {
  signal: AbortSignal;
}

/**
 * A text-to-speech model. The voice loop cuts the LLM's reply into sentences as they stream and
 * calls `synthesize` for each, so a model without streaming input still starts speaking after
 * the first sentence. Frames may be any length; the loop re-frames and paces them.
 */
export interface TtsModel {
  readonly specificationVersion: "v1";
  readonly provider: string;
  readonly modelId: string;
  /** Sample rate of the frames `synthesize` yields. */
  readonly outputSampleRateHz: number;
  warmup?(options: WarmupOptions): Promise<void>;
  /** Mono PCM for `text`, first frame as soon as possible. Stops when `signal` aborts. */
  synthesize(text: string, options: TtsSynthesizeOptions): AsyncIterable<AudioFrame>;
  close?(): Promise<void>;
}
