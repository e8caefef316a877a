// Voice activity detection: a model answers "how likely is speech in this frame"; the core
// applies the hysteresis (thresholds, minimum speech and silence, prefix padding).
import type { WarmupOptions } from "./log.js";

/**
 * A voice activity model: speech probability per fixed-size frame. The core applies the
 * hysteresis (activation/deactivation thresholds, min speech, min silence, prefix padding), so
 * a model only answers "how likely is speech in this frame".
 */
export interface VadModel {
  readonly specificationVersion: "v1";
  readonly provider: string;
  readonly modelId: string;
  /** Sample rate the model takes, e.g. 16000. */
  readonly sampleRateHz: number;
  /** Samples per frame the model takes, e.g. 512 (32 ms at 16 kHz) for Silero. */
  readonly frameSamples: number;
  /** Loads the model; fails with an install hint when something is missing. */
  warmup?(options: WarmupOptions): Promise<void>;
  /** State for one audio stream (one participant). */
  createStream(): VadStream;
  close?(): Promise<void>;
}

export interface VadStream {
  /**
   * Speech probability 0..1 of one frame of exactly `frameSamples` mono samples at
   * `sampleRateHz`. May answer synchronously (cheaper) or with a promise.
   */
  process(frame: Int16Array): number | Promise<number>;
  /** Forgets the stream's state (after a long silence, or a new utterance). */
  reset(): void;
  close(): void;
}
