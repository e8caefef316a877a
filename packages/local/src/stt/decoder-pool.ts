// A fixed-size pool of decoders lent to utterances first come, first served. Decoders are created
// on demand up to `size`, so memory follows peak concurrent utterances, never the session count.
import type { Decoder } from "./decoder.js";

export interface DecoderPoolStats {
  /** The most decoders this pool will hold. */
  size: number;
  /** Decoders loaded now (idle + lent). */
  loaded: number;
  /** Decoders lent to an utterance now. */
  busy: number;
  /** Utterances waiting for a decoder. */
  waiting: number;
}

interface Waiter {
  resolve: (decoder: Decoder) => void;
  reject: (error: unknown) => void;
}

export class DecoderPool {
  readonly #create: () => Promise<Decoder>;
  readonly #size: number;
  readonly #idle: Decoder[] = [];
  readonly #waiters: Waiter[] = [];
  #loaded = 0;
  #creating = 0;
  #busy = 0;

  constructor(options: { size: number; create: () => Promise<Decoder> }) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`decoder pool size must be a positive integer, got ${options.size}`);
    }
    this.#size = options.size;
    this.#create = options.create;
  }

  stats(): DecoderPoolStats {
    return { size: this.#size, loaded: this.#loaded, busy: this.#busy, waiting: this.#waiters.length };
  }

  /** Loads one decoder now (if none is loaded), so a missing model fails at warm-up. */
  async preload(): Promise<void> {
    if (this.#loaded + this.#creating > 0) return;
    this.#creating++;
    let decoder: Decoder;
    try {
      decoder = await this.#create();
    } finally {
      this.#creating--;
    }
    this.#loaded++;
    this.#handOver(decoder);
  }

  /**
   * A decoder for one utterance; resolves in request order when all are lent. Rejects with the
   * signal's reason when it aborts first. Give it back with `release`.
   */
  acquire(signal: AbortSignal): Promise<Decoder> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      this.#busy++;
      return Promise.resolve(idle);
    }
    return new Promise<Decoder>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        resolve: (d) => {
          signal.removeEventListener("abort", onAbort);
          resolve(d);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#grow();
    });
  }

  /**
   * Gives a decoder back. `broken` (its last native call failed) frees it instead, and a fresh
   * one is loaded if someone waits.
   */
  release(decoder: Decoder, options: { broken?: boolean } = {}): void {
    this.#busy--;
    if (options.broken) {
      this.#discard(decoder);
      this.#grow();
      return;
    }
    this.#handOver(decoder);
  }

  #handOver(decoder: Decoder): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#idle.push(decoder);
      return;
    }
    this.#busy++;
    waiter.resolve(decoder);
  }

  #discard(decoder: Decoder): void {
    this.#loaded--;
    decoder.free();
  }

  /** Loads another decoder when utterances wait that the decoders being loaded won't serve. */
  #grow(): void {
    while (this.#waiters.length > this.#creating && this.#loaded + this.#creating < this.#size) {
      this.#creating++;
      this.#create().then(
        (decoder) => {
          this.#creating--;
          this.#loaded++;
          this.#handOver(decoder);
        },
        (error: unknown) => {
          this.#creating--;
          // Nobody can be served if no decoder exists at all: fail the waiters rather than hang.
          if (this.#loaded === 0 && this.#creating === 0) {
            for (const w of this.#waiters.splice(0)) w.reject(error);
          }
        },
      );
    }
  }
}
