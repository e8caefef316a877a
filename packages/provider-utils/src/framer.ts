/** How a `Framer` cuts audio. */
export interface FramerOptions {
  sampleRateHz: number;
  /** Frame length in milliseconds. Default 20. */
  frameMs?: number;
  /** Frame length in samples (mono); overrides `frameMs` (e.g. 512 for Silero). */
  frameSamples?: number;
}

/** Frames allocated at once for the copies a framer has to make (boundary frames only). */
const BLOCK_FRAMES = 32;

/**
 * Cuts a mono stream of arbitrary chunks into fixed-size frames (10/20 ms, or a model's frame
 * size). Whole frames inside a chunk are handed on as views of that chunk (no copy); only a
 * frame that straddles two chunks is copied, into a block allocated once per 32 frames. Emitted
 * views are never written again, so consumers may keep them.
 */
export class Framer {
  readonly sampleRateHz: number;
  readonly frameSamples: number;
  #block: Int16Array;
  /** Start of the partial frame in `#block`. */
  #start = 0;
  /** Samples of the partial frame filled so far. */
  #pending = 0;

  constructor(options: FramerOptions) {
    this.sampleRateHz = options.sampleRateHz;
    const samples =
      options.frameSamples ?? Math.round(((options.frameMs ?? 20) * options.sampleRateHz) / 1000);
    if (!Number.isInteger(samples) || samples <= 0) {
      throw new RangeError(`frame length must be a positive whole number of samples, got ${samples}`);
    }
    this.frameSamples = samples;
    this.#block = new Int16Array(samples * BLOCK_FRAMES);
  }

  /** Samples waiting for the next frame to fill. */
  get pendingSamples(): number {
    return this.#pending;
  }

  /** Adds `samples`; calls `emit` once per complete frame, in order. */
  push(samples: Int16Array, emit: (frame: Int16Array) => void): void {
    const size = this.frameSamples;
    let offset = 0;
    if (this.#pending > 0) {
      const take = Math.min(size - this.#pending, samples.length);
      this.#block.set(samples.subarray(0, take), this.#start + this.#pending);
      this.#pending += take;
      offset = take;
      if (this.#pending < size) return;
      this.#emitPartial(emit);
    }
    while (samples.length - offset >= size) {
      emit(samples.subarray(offset, offset + size));
      offset += size;
    }
    const rest = samples.length - offset;
    if (rest > 0) {
      this.#reserve();
      this.#block.set(samples.subarray(offset), this.#start);
      this.#pending = rest;
    }
  }

  /**
   * Emits what is pending as a last frame padded with silence (`pad` true, the default) or as a
   * shorter frame, and starts over.
   */
  flush(emit: (frame: Int16Array) => void, options: { pad?: boolean } = {}): void {
    if (this.#pending === 0) return;
    if (options.pad ?? true) {
      this.#block.fill(0, this.#start + this.#pending, this.#start + this.frameSamples);
      this.#pending = this.frameSamples;
      this.#emitPartial(emit);
    } else {
      const frame = this.#block.subarray(this.#start, this.#start + this.#pending);
      this.#start += this.frameSamples;
      this.#pending = 0;
      emit(frame);
    }
  }

  /** Drops what is pending. */
  reset(): void {
    this.#pending = 0;
  }

  #emitPartial(emit: (frame: Int16Array) => void): void {
    const frame = this.#block.subarray(this.#start, this.#start + this.frameSamples);
    this.#start += this.frameSamples;
    this.#pending = 0;
    emit(frame);
  }

  /** Makes sure a whole frame fits at `#start`; a fresh block when this one is used up. */
  #reserve(): void {
    if (this.#start + this.frameSamples > this.#block.length) {
      this.#block = new Int16Array(this.frameSamples * BLOCK_FRAMES);
      this.#start = 0;
    }
  }
}
