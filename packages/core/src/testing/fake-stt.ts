import { AsyncQueue, type Clock, systemClock, type TimerHandle } from "@callwright/provider-utils";
import type { AudioFrame, SttModel, SttPart, SttStream, SttStreamOptions } from "@callwright/spec";
import { frameDurationMs, StateError } from "@callwright/spec";

/** What the fake hears in one speech segment (one `flush`). A string is the final text. */
export type FakeSttSegment =
  | string
  | {
      text: string;
      /** Interim hypotheses to yield while audio comes in (default: growing prefixes of `text`). */
      interims?: string[] | false;
      /** flush → final, ms (overrides the model's `latencyMs`). */
      latencyMs?: number;
    }
  /** The stream fails at this flush: an error part, and the stream ends unless `recoverable`. */
  | { error: Error; recoverable?: boolean }
  /** The connection drops at this flush: the stream just ends, no final. */
  | { drop: true };

export interface FakeSttOptions {
  /** What each speech segment is heard as, in order across all streams. */
  transcripts?: FakeSttSegment[];
  /** Or compute it (used once `transcripts` run out); default: "" (nothing understood). */
  transcribe?: (info: {
    participantId: string | undefined;
    pushedMs: number;
    index: number;
  }) => FakeSttSegment;
  /** flush → final, ms. Default 0. */
  latencyMs?: number;
  /** Yield an interim every this many ms of pushed audio. Default 200; 0 for none. */
  interimEveryMs?: number;
  /** Default 16000. */
  inputSampleRateHz?: number;
  clock?: Clock;
}

/**
 * A scripted streaming STT with the real protocol: audio is pushed, interims come while it is,
 * `flush()` yields a `final` with `segmentEnd: true` covering everything pushed (after
 * `latencyMs`), errors are parts, `end()` ends the iterator after pending finals, an abort ends
 * it at once. Audio at the wrong rate is refused, as a real model would.
 */
export class FakeSTT implements SttModel {
  readonly specificationVersion = "v1";
  readonly provider = "fake";
  readonly modelId = "fake-stt";
  readonly inputSampleRateHz: number;
  /** Every stream opened, in order. */
  readonly streams: FakeSttStream[] = [];
  warmups = 0;
  readonly options: FakeSttOptions;
  readonly #script: FakeSttSegment[];
  #segments = 0;

  constructor(options: FakeSttOptions = {}) {
    this.options = options;
    this.inputSampleRateHz = options.inputSampleRateHz ?? 16000;
    this.#script = [...(options.transcripts ?? [])];
  }

  async warmup(): Promise<void> {
    this.warmups += 1;
  }

  /** Adds segments to the script. */
  enqueue(...segments: FakeSttSegment[]): void {
    this.#script.push(...segments);
  }

  /** Total audio pushed to all streams, ms. */
  get pushedMs(): number {
    return this.streams.reduce((ms, s) => ms + s.pushedMs, 0);
  }

  /** Streams neither ended nor aborted. */
  get openStreams(): number {
    return this.streams.filter((s) => !s.closed).length;
  }

  stream(options: SttStreamOptions): FakeSttStream {
    const stream = new FakeSttStream(this, options);
    this.streams.push(stream);
    return stream;
  }

  /** @internal The next segment's script. */
  nextSegment(participantId: string | undefined, pushedMs: number): FakeSttSegment {
    const index = this.#segments++;
    return this.#script.shift() ?? this.options.transcribe?.({ participantId, pushedMs, index }) ?? "";
  }
}

export class FakeSttStream implements SttStream {
  readonly participantId: string | undefined;
  /** Audio pushed, ms. */
  pushedMs = 0;
  flushes = 0;
  closed = false;
  readonly #model: FakeSTT;
  readonly #clock: Clock;
  readonly #parts = new AsyncQueue<SttPart>();
  readonly #timers = new Set<TimerHandle>();
  readonly #signal: AbortSignal;
  #segmentMs = 0;
  #sinceInterimMs = 0;
  #current: FakeSttSegment | undefined;
  #interimIndex = 0;
  #ending = false;

  constructor(model: FakeSTT, options: SttStreamOptions) {
    this.#model = model;
    this.participantId = options.participantId;
    this.#clock = model.options.clock ?? systemClock;
    this.#signal = options.signal;
    if (options.signal.aborted) this.#close();
    else options.signal.addEventListener("abort", () => this.#close(), { once: true });
  }

  push(frame: AudioFrame): void {
    if (this.#ending) throw new StateError("FakeSTT: push() after end()", { code: "stt_push_after_end" });
    if (this.closed) return;
    if (frame.sampleRateHz !== this.#model.inputSampleRateHz || frame.channels !== 1) {
      throw new RangeError(
        `FakeSTT takes mono ${this.#model.inputSampleRateHz} Hz audio, got ${frame.channels} ch at ${frame.sampleRateHz} Hz`,
      );
    }
    const ms = frameDurationMs(frame);
    this.pushedMs += ms;
    this.#segmentMs += ms;
    this.#sinceInterimMs += ms;
    const every = this.#model.options.interimEveryMs ?? 200;
    if (every > 0 && this.#sinceInterimMs >= every) {
      this.#sinceInterimMs = 0;
      this.#interim();
    }
  }

  flush(): void {
    if (this.closed || this.#ending) return;
    this.flushes += 1;
    const heardMs = this.#segmentMs;
    const segment = heardMs > 0 ? this.#segment() : "";
    this.#current = undefined;
    this.#interimIndex = 0;
    this.#segmentMs = 0;
    this.#sinceInterimMs = 0;
    if (typeof segment !== "string" && "drop" in segment) {
      this.#close();
      return;
    }
    if (typeof segment !== "string" && "error" in segment) {
      this.#parts.push({ type: "error", error: segment.error, recoverable: segment.recoverable ?? false });
      if (!segment.recoverable) this.#close();
      return;
    }
    const text = typeof segment === "string" ? segment : segment.text;
    const latencyMs =
      (typeof segment === "string" ? undefined : segment.latencyMs) ?? this.#model.options.latencyMs ?? 0;
    const emit = () => this.#parts.push({ type: "final", text, segmentEnd: true });
    if (latencyMs <= 0) emit();
    else this.#later(latencyMs, emit);
  }

  end(): void {
    if (this.#ending) return;
    this.#ending = true;
    if (this.closed) return;
    if (this.#timers.size === 0) this.#close();
  }

  [Symbol.asyncIterator](): AsyncIterator<SttPart> {
    return this.#parts[Symbol.asyncIterator]();
  }

  #segment(): FakeSttSegment {
    this.#current ??= this.#model.nextSegment(this.participantId, this.#segmentMs);
    return this.#current;
  }

  #interim(): void {
    const segment = this.#segment();
    if (typeof segment !== "string" && !("text" in segment)) return;
    const text = typeof segment === "string" ? segment : segment.text;
    const scripted = typeof segment === "string" ? undefined : segment.interims;
    if (scripted === false) return;
    let interim: string | undefined;
    if (scripted !== undefined) interim = scripted[this.#interimIndex];
    else {
      const words = text.split(/\s+/).filter(Boolean);
      const n = Math.min(words.length - 1, this.#interimIndex + 1);
      interim = n > 0 ? words.slice(0, n).join(" ") : undefined;
    }
    this.#interimIndex += 1;
    if (interim !== undefined && interim.length > 0) this.#parts.push({ type: "interim", text: interim });
  }

  #later(ms: number, fn: () => void): void {
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
      if (this.#ending && this.#timers.size === 0) this.#close();
    }, ms);
    this.#timers.add(handle);
  }

  #close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    if (this.#signal.aborted) this.#parts.clear();
    this.#parts.end();
  }
}
