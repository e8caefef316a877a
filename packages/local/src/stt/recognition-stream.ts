// One participant's recognition stream over the shared decoder pool. Each utterance (the audio
// between two flushes) borrows a decoder from its first frame to its flush, is decoded while it
// streams in, and hands the decoder back as soon as its final is out.
import { AsyncQueue } from "@callwright/provider-utils";
import {
  type AudioFrame,
  CallwrightError,
  ConfigError,
  ProviderError,
  StateError,
  type SttPart,
  type SttStream,
} from "callwright";
import type { Decoder, DecoderAdaptation } from "./decoder.js";
import type { DecoderPool } from "./decoder-pool.js";

export const sttInputSampleRateHz = 16000;

export interface RecognitionStreamOptions {
  signal: AbortSignal;
  interimResults: boolean;
  interimIntervalMs: number;
  provider: string;
  /** Runs once when the stream is over (ended and drained, aborted, or its reader stopped). */
  onFinish?: () => void;
}

interface Utterance {
  /** Audio pushed and not yet handed to the decoder. */
  chunks: Int16Array[];
  flushed: boolean;
}

export class RecognitionStream implements SttStream {
  readonly #pool: DecoderPool;
  readonly #options: RecognitionStreamOptions;
  readonly #parts = new AsyncQueue<SttPart>();
  /** Utterances in order; the first is being decoded. */
  readonly #utterances: Utterance[] = [];
  /** Stops a wait for a decoder when the stream stops. */
  readonly #stop = new AbortController();
  readonly #onAbort = () => this.stop();
  #adaptation: DecoderAdaptation | undefined;
  #wake: (() => void) | undefined;
  #driving = false;
  #ended = false;
  #finished = false;

  constructor(pool: DecoderPool, options: RecognitionStreamOptions) {
    this.#pool = pool;
    this.#options = options;
    if (options.signal.aborted) this.stop();
    else options.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** True once the stream was aborted or its reader stopped: pushes are ignored. */
  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  push(frame: AudioFrame): void {
    if (this.stopped) return;
    if (this.#ended)
      throw new StateError("pocketsphinx STT: push() after end()", { code: "stt_push_after_end" });
    if (frame.sampleRateHz !== sttInputSampleRateHz || frame.channels !== 1) {
      throw new ConfigError(
        `pocketsphinx STT takes 16000 Hz mono frames, got ${frame.sampleRateHz} Hz with ${frame.channels} channel(s); resample first`,
      );
    }
    if (frame.samples.length === 0) return;
    let utterance = this.#utterances.at(-1);
    if (utterance === undefined || utterance.flushed) {
      utterance = { chunks: [], flushed: false };
      this.#utterances.push(utterance);
    }
    utterance.chunks.push(frame.samples);
    this.#kick();
  }

  flush(): void {
    if (this.stopped || this.#ended) return;
    const utterance = this.#utterances.at(-1);
    if (utterance !== undefined && !utterance.flushed) utterance.flushed = true;
    else this.#utterances.push({ chunks: [], flushed: true });
    this.#kick();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const utterance = this.#utterances.at(-1);
    if (utterance !== undefined) utterance.flushed = true;
    this.#kick();
  }

  /** The parts, once (one reader). Breaking out of the loop stops the stream. */
  async *[Symbol.asyncIterator](): AsyncIterator<SttPart> {
    try {
      yield* this.#parts;
    } finally {
      this.stop();
    }
  }

  /** Drops pending audio, gives the decoder back and ends the parts (abort, reader gone, STT closed). */
  stop(): void {
    if (this.stopped) return;
    this.#stop.abort();
    this.#utterances.length = 0;
    this.#kick();
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#parts.end();
    this.#options.signal.removeEventListener("abort", this.#onAbort);
    this.#options.onFinish?.();
  }

  #kick(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    if (!this.#driving && !this.stopped) void this.#drive();
  }

  async #drive(): Promise<void> {
    this.#driving = true;
    try {
      for (let utterance = this.#utterances[0]; utterance !== undefined; utterance = this.#utterances[0]) {
        await this.#decode(utterance);
        if (this.stopped) return;
        this.#utterances.shift();
      }
    } finally {
      this.#driving = false;
      if (this.#ended && this.#utterances.length === 0) this.#finish();
    }
  }

  async #decode(utterance: Utterance): Promise<void> {
    if (utterance.chunks.length === 0 && utterance.flushed) {
      this.#parts.push({ type: "final", text: "", segmentEnd: true });
      return;
    }
    let decoder: Decoder;
    try {
      decoder = await this.#pool.acquire(this.#stop.signal);
    } catch (cause) {
      if (this.stopped) return;
      this.#fail(cause, false);
      return;
    }
    let broken = false;
    try {
      await decoder.startUtterance(this.#adaptation);
      await this.#follow(utterance, decoder);
      if (this.stopped) return;
      const { text, adaptation } = await decoder.endUtterance();
      this.#adaptation = adaptation;
      this.#parts.push({ type: "final", text, segmentEnd: true });
    } catch (cause) {
      broken = true;
      if (!this.stopped) {
        this.#fail(cause, true);
        // The flush still gets its answer, so the turn does not wait for a final that never comes.
        this.#parts.push({ type: "final", text: "", segmentEnd: true });
      }
    } finally {
      if (!broken && decoder.inUtterance) {
        // Stopped mid-utterance: close it so the next holder starts clean.
        await decoder.endUtterance().catch(() => {
          broken = true;
        });
      }
      this.#pool.release(decoder, { broken });
    }
  }

  /** Decodes the utterance's audio as it arrives, until it is flushed and all decoded. */
  async #follow(utterance: Utterance, decoder: Decoder): Promise<void> {
    const interimSamples = (this.#options.interimIntervalMs * sttInputSampleRateHz) / 1000;
    let sinceInterim = 0;
    let lastInterim = "";
    while (!this.stopped) {
      if (utterance.chunks.length > 0) {
        const samples = concat(utterance.chunks.splice(0));
        await decoder.process(samples);
        sinceInterim += samples.length;
        if (this.#options.interimResults && !utterance.flushed && sinceInterim >= interimSamples) {
          sinceInterim = 0;
          const text = await decoder.partialHypothesis();
          if (text !== "" && text !== lastInterim && !this.stopped) {
            lastInterim = text;
            this.#parts.push({ type: "interim", text });
          }
        }
      } else if (utterance.flushed) {
        return;
      } else {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    }
  }

  #fail(cause: unknown, recoverable: boolean): void {
    const error =
      cause instanceof CallwrightError
        ? cause
        : new ProviderError(
            `pocketsphinx STT: decoding failed: ${(cause as Error)?.message ?? String(cause)}`,
            {
              provider: this.#options.provider,
              cause,
              retryable: recoverable,
            },
          );
    this.#parts.push({ type: "error", error, recoverable });
    if (!recoverable) this.stop();
  }
}

function concat(chunks: Int16Array[]): Int16Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Int16Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
