import { Framer } from "@callwright/provider-utils";
import type { VadModel, VadStream } from "@callwright/spec";

/** How speech probabilities become speech (defaults like Silero's, docs/voice-loop.md). */
export interface VadOptions {
  /** Probability at or above which a silent stream starts counting speech. */
  activationThreshold: number;
  /** Probability below which a speaking stream starts counting silence (hysteresis). */
  deactivationThreshold: number;
  /** Speech shorter than this (a click, a breath) is not speech. */
  minSpeechMs: number;
  /** Silence this long after speech ends the speech. */
  minSilenceMs: number;
  /** Audio kept from before the detected start, so STT hears the first syllable. */
  prefixPaddingMs: number;
}

export const defaultVadOptions = {
  activationThreshold: 0.5,
  deactivationThreshold: 0.35,
  minSpeechMs: 50,
  minSilenceMs: 550,
  prefixPaddingMs: 500,
} as const satisfies VadOptions;

/** What a model frame changed: nothing, the start of speech, or its end. */
export type VadEvent = "none" | "speech_start" | "speech_end";

export interface VadDetectorHandler {
  /**
   * Called for every model frame, in order, after it was classified. On `speech_start` the
   * detector's `speechStartMs` tells where the speech began (up to `minSpeechMs` earlier); on
   * `speech_end`, `lastVoicedEndMs` tells where it really ended (`minSilenceMs` earlier).
   */
  onFrame(frame: Int16Array, event: VadEvent): void;
  /** The model failed on a frame (it counts as silence). */
  onError(error: unknown): void;
}

/**
 * Turns a VAD model's per-frame probabilities into speech start/end with hysteresis. Works in
 * audio time (samples seen), so it gives the same answer whether audio arrives in real time or
 * in a burst. Accepts any chunk size; re-frames to the model's frame size. Models that answer
 * with a promise are run one frame at a time, in order.
 */
export class VadDetector {
  readonly options: VadOptions;
  readonly frameMs: number;
  readonly #stream: VadStream;
  readonly #framer: Framer;
  readonly #handler: VadDetectorHandler;
  readonly #queue: Int16Array[] = [];
  #busy = false;
  #closed = false;

  #speaking = false;
  #audioMs = 0;
  #voicedRunMs = 0;
  #candidateStartMs = 0;
  #silenceRunMs = 0;
  #speechStartMs = 0;
  #lastVoicedEndMs = 0;

  constructor(model: VadModel, options: VadOptions, handler: VadDetectorHandler) {
    this.options = options;
    this.#stream = model.createStream();
    this.#framer = new Framer({ sampleRateHz: model.sampleRateHz, frameSamples: model.frameSamples });
    this.frameMs = (model.frameSamples * 1000) / model.sampleRateHz;
    this.#handler = handler;
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** Audio classified so far, in ms (the detector's clock). */
  get audioMs(): number {
    return this.#audioMs;
  }

  /** Where the current (or last) speech began, in audio ms. */
  get speechStartMs(): number {
    return this.#speechStartMs;
  }

  /** End of the last voiced frame, in audio ms. */
  get lastVoicedEndMs(): number {
    return this.#lastVoicedEndMs;
  }

  /** Voiced span of the current speech so far: its start to its last voiced frame. */
  get speechMs(): number {
    return this.#speaking ? this.#lastVoicedEndMs - this.#speechStartMs : 0;
  }

  /** Mono samples at the model's rate, any length. */
  push(samples: Int16Array): void {
    if (this.#closed) return;
    this.#framer.push(samples, this.#onModelFrame);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#stream.close();
  }

  readonly #onModelFrame = (frame: Int16Array): void => {
    if (this.#busy) {
      this.#queue.push(frame);
      return;
    }
    this.#run(frame);
  };

  #run(frame: Int16Array): void {
    let result: number | Promise<number>;
    try {
      result = this.#stream.process(frame);
    } catch (error) {
      this.#handler.onError(error);
      result = 0;
    }
    if (typeof result === "number") {
      this.#classify(frame, result);
      return;
    }
    this.#busy = true;
    result.then(
      (p) => this.#resume(frame, p),
      (error) => {
        this.#handler.onError(error);
        this.#resume(frame, 0);
      },
    );
  }

  #resume(frame: Int16Array, probability: number): void {
    this.#busy = false;
    if (this.#closed) return;
    this.#classify(frame, probability);
    while (!this.#busy && this.#queue.length > 0 && !this.#closed) this.#run(this.#queue.shift()!);
  }

  #classify(frame: Int16Array, probability: number): void {
    const o = this.options;
    const start = this.#audioMs;
    const end = start + this.frameMs;
    this.#audioMs = end;
    let event: VadEvent = "none";
    if (!this.#speaking) {
      if (probability >= o.activationThreshold) {
        if (this.#voicedRunMs === 0) this.#candidateStartMs = start;
        this.#voicedRunMs += this.frameMs;
        if (this.#voicedRunMs >= o.minSpeechMs) {
          this.#speaking = true;
          this.#speechStartMs = this.#candidateStartMs;
          this.#lastVoicedEndMs = end;
          this.#silenceRunMs = 0;
          this.#voicedRunMs = 0;
          event = "speech_start";
        }
      } else {
        this.#voicedRunMs = 0;
      }
    } else if (probability >= o.deactivationThreshold) {
      this.#silenceRunMs = 0;
      this.#lastVoicedEndMs = end;
    } else {
      this.#silenceRunMs += this.frameMs;
      if (this.#silenceRunMs >= o.minSilenceMs) {
        this.#speaking = false;
        this.#silenceRunMs = 0;
        event = "speech_end";
      }
    }
    this.#handler.onFrame(frame, event);
  }
}
