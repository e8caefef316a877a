// One reply streamed to ElevenLabs as the LLM writes it (the spec's TtsTextStream). Text goes out
// in whole words; the first sentence is flushed so speech starts as soon as it is complete; each
// `flush()` closes a segment, whose end is the `flushed` part. Audio comes out in order, with
// the character timings of each chunk shifted to the reply's own timeline.
import { AsyncQueue, abortError, type Clock } from "@callwright/provider-utils";
import {
  audioFrame,
  ClosedError,
  StateError,
  type TtsStreamPart,
  type TtsTextStream,
  type TtsTiming,
} from "@callwright/spec";
import type { TTSOptions } from "./options.js";
import { Segment, type TransportFactory } from "./segment.js";
import { alignmentTimings } from "./timings.js";
import type { WireAlignment } from "./wire.js";

/** A sentence ends with . ! ? or … (maybe closed by a quote or bracket) before a space. */
const SENTENCE_END = /[.!?…]["'”’)\]]*\s/;

interface SegmentState {
  segment: Segment;
  /** Audio received while an earlier segment was still speaking. */
  held: { samples: Int16Array; alignment: WireAlignment | undefined }[];
  done: boolean;
  /** How many `flushed` parts follow its audio (one per `flush()` it answers). */
  flushesAfter: number;
  /** Its first sentence has been flushed. */
  sentenceFlushed: boolean;
}

export class ElevenLabsTextStream implements TtsTextStream {
  readonly #options: TTSOptions;
  readonly #newTransport: TransportFactory;
  readonly #clock: Clock;
  readonly #signal: AbortSignal;
  readonly #onOver: () => void;
  readonly #parts = new AsyncQueue<TtsStreamPart>();
  /** Segments in speaking order; the first one's audio goes out as it comes. */
  readonly #segments: SegmentState[] = [];
  /** The segment taking text, if any. */
  #current: SegmentState | undefined;
  /** Text after the last whole word, waiting for the rest of the word. */
  #partial = "";
  /** Samples yielded so far: the offset of the next chunk's timings. */
  #samplesOut = 0;
  /** A word cut by the end of an audio chunk, completed by the next chunk's first run. */
  #openWord: TtsTiming | undefined;
  #ended = false;
  #over = false;
  readonly #onAbort = () => this.#stop(abortError(this.#signal));

  constructor(init: {
    options: TTSOptions;
    newTransport: TransportFactory;
    clock: Clock;
    signal: AbortSignal;
    onOver: () => void;
  }) {
    this.#options = init.options;
    this.#newTransport = init.newTransport;
    this.#clock = init.clock;
    this.#signal = init.signal;
    this.#onOver = init.onOver;
    if (this.#signal.aborted) {
      this.#stop(abortError(this.#signal));
      return;
    }
    this.#signal.addEventListener("abort", this.#onAbort, { once: true });
    // The first segment opens now, so its handshake (or context) is ready when the text comes.
    this.#current = this.#newSegment();
  }

  get over(): boolean {
    return this.#over;
  }

  [Symbol.asyncIterator](): AsyncIterator<TtsStreamPart> {
    return this.#parts[Symbol.asyncIterator]();
  }

  push(text: string): void {
    if (this.#ended)
      throw new StateError("elevenlabs.TTS text stream: push() after end()", { code: "tts_ended" });
    if (this.#over || text === "") return;
    this.#partial += text;
    const lastBlank = Math.max(
      this.#partial.lastIndexOf(" "),
      this.#partial.lastIndexOf("\n"),
      this.#partial.lastIndexOf("\t"),
    );
    if (lastBlank < 0) return;
    const words = this.#partial.slice(0, lastBlank + 1);
    this.#partial = this.#partial.slice(lastBlank + 1);
    this.#sendWords(words, false);
  }

  flush(): void {
    if (this.#ended)
      throw new StateError("elevenlabs.TTS text stream: flush() after end()", { code: "tts_ended" });
    if (this.#over) return;
    this.#closeSegment();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#over) return;
    this.#closeSegment();
    this.#advance();
  }

  /** Stops from the model's close(). */
  closeFromModel(): void {
    this.#stop(new ClosedError("elevenlabs.TTS"));
  }

  /** Sends whole words (ending with one space, as ElevenLabs asks), flushing a first sentence. */
  #sendWords(words: string, flush: boolean): void {
    const text = `${words.replace(/\s+/g, " ").trim()} `;
    if (text === " ") return;
    this.#current ??= this.#newSegment();
    const state = this.#current;
    let flushNow = flush;
    if (!state.sentenceFlushed && SENTENCE_END.test(text)) {
      state.sentenceFlushed = true;
      flushNow = true;
    }
    state.segment.send(text, flushNow);
  }

  /** Ends the current segment (its remaining words flushed); a `flushed` part follows its audio. */
  #closeSegment(): void {
    const tail = this.#partial;
    this.#partial = "";
    if (tail.trim() !== "") this.#sendWords(tail, true);
    const state = this.#current;
    this.#current = undefined;
    if (state !== undefined) {
      if (!this.#ended) state.flushesAfter += 1;
      state.segment.finish();
      return;
    }
    if (this.#ended) return;
    // Nothing open: the flush is answered once what is in flight has been spoken.
    const last = this.#segments.at(-1);
    if (last === undefined) this.#parts.push({ type: "flushed" });
    else last.flushesAfter += 1;
  }

  #newSegment(): SegmentState {
    const state: SegmentState = {
      segment: undefined as unknown as Segment,
      held: [],
      done: false,
      flushesAfter: 0,
      sentenceFlushed: false,
    };
    this.#segments.push(state);
    state.segment = new Segment(
      this.#newTransport,
      {
        audio: (samples, alignment) => {
          if (this.#over) return;
          if (this.#segments[0] === state) this.#emit(samples, alignment);
          else state.held.push({ samples, alignment });
        },
        done: () => {
          state.done = true;
          this.#advance();
        },
        failed: (error) => this.#fail(error),
      },
      this.#options,
      this.#clock,
    );
    return state;
  }

  #emit(samples: Int16Array, alignment: WireAlignment | undefined): void {
    if (samples.length === 0 && alignment === undefined) return;
    const offsetMs = (this.#samplesOut * 1000) / this.#options.outputSampleRateHz;
    if (samples.length > 0) {
      this.#parts.push({ type: "audio", frame: audioFrame(samples, this.#options.outputSampleRateHz) });
      this.#samplesOut += samples.length;
    }
    const timings = alignmentTimings(alignment, offsetMs);
    // A word split between two chunks is one timing: the first part waits for the rest.
    const open = this.#openWord;
    const first = timings[0];
    if (open !== undefined && first !== undefined && !/^\s/.test(first.text)) {
      timings[0] = { text: open.text + first.text, startMs: open.startMs, endMs: first.endMs };
      this.#openWord = undefined;
    }
    this.#flushOpenWord();
    const last = timings.at(-1);
    if (last !== undefined && !/\s$/.test(last.text)) this.#openWord = timings.pop();
    if (timings.length > 0) this.#parts.push({ type: "timings", timings });
  }

  #flushOpenWord(): void {
    const open = this.#openWord;
    this.#openWord = undefined;
    if (open !== undefined) this.#parts.push({ type: "timings", timings: [open] });
  }

  /** Moves past finished segments, letting the next one's held audio out. */
  #advance(): void {
    if (this.#over) return;
    for (;;) {
      const head = this.#segments[0];
      if (head === undefined) break;
      for (const { samples, alignment } of head.held.splice(0)) this.#emit(samples, alignment);
      if (!head.done) return;
      this.#segments.shift();
      this.#flushOpenWord();
      for (let i = 0; i < head.flushesAfter; i++) this.#parts.push({ type: "flushed" });
    }
    if (this.#ended && this.#current === undefined) this.#finish(undefined);
  }

  #fail(error: Error): void {
    if (this.#over) return;
    this.#parts.push({ type: "error", error });
    this.#finish(undefined);
  }

  #stop(error: Error): void {
    if (this.#over) return;
    this.#finish(error);
  }

  #finish(error: Error | undefined): void {
    if (this.#over) return;
    this.#over = true;
    this.#ended = true;
    this.#signal.removeEventListener("abort", this.#onAbort);
    for (const state of this.#segments) state.segment.abort();
    this.#current?.segment.abort();
    this.#segments.length = 0;
    this.#current = undefined;
    if (error === undefined) this.#parts.end();
    else this.#parts.fail(error);
    this.#onOver();
  }
}
