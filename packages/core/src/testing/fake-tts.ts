import { AsyncQueue, type Clock, systemClock } from "@callwright/provider-utils";
import type {
  TtsModel,
  TtsStreamOptions,
  TtsStreamPart,
  TtsSynthesizeOptions,
  TtsTextStream,
  TtsTiming,
} from "@callwright/spec";
import { type AudioFrame, audioFrame } from "@callwright/spec";
import { delay } from "./delay.js";

export interface FakeTtsOptions {
  /** Default 24000. */
  outputSampleRateHz?: number;
  /** Audio per character of text, ms. Default 10 ("Hello there." → 120 ms). */
  msPerChar?: number;
  /** The tone it "speaks". Default 440 Hz. */
  frequencyHz?: number;
  /** Peak amplitude. Default 8000. */
  amplitude?: number;
  /** Length of the frames it yields, ms. Default 40. */
  chunkMs?: number;
  /** Wait before the first frame, ms. Default 0. */
  firstAudioDelayMs?: number;
  /** Wait between frames, ms. Default 0 (faster than real time, like most TTS). */
  chunkDelayMs?: number;
  /** Return an error to make `synthesize(text)` fail with it (after `failAfterMs` of audio). */
  failOn?: (text: string) => Error | undefined;
  failAfterMs?: number;
  /**
   * Also take text as it is written (`streamText`), as ElevenLabs' stream-input does. Default
   * false: per-sentence `synthesize` only.
   */
  streaming?: boolean;
  /** What a streaming synthesis reports of when text is spoken. Default "words". */
  timings?: "words" | "chars" | "none";
  clock?: Clock;
}

/**
 * A deterministic TTS: a tone whose length is proportional to the text (`msPerChar`), so a test
 * can tell from the audio the agent played how much of which text it spoke. Records every text
 * it was asked to say.
 */
export class FakeTTS implements TtsModel {
  readonly specificationVersion = "v1";
  readonly provider = "fake";
  readonly modelId = "fake-tts";
  readonly outputSampleRateHz: number;
  /** Every text, in order (for a streaming synthesis, each piece pushed). */
  readonly requests: string[] = [];
  /** Every streaming synthesis: the text pushed into it, in order, and whether it was ended. */
  readonly streams: { text: string; ended: boolean }[] = [];
  /** Present with `streaming: true`: one synthesis per reply, text pushed as it is written. */
  readonly streamText?: (options: TtsStreamOptions) => TtsTextStream;
  /** Syntheses stopped by their signal. */
  aborted = 0;
  warmups = 0;
  readonly #options: FakeTtsOptions;

  constructor(options: FakeTtsOptions = {}) {
    this.#options = options;
    this.outputSampleRateHz = options.outputSampleRateHz ?? 24000;
    if (options.streaming === true) this.streamText = (o) => this.#openStream(o);
  }

  /** The audio length, ms, FakeTTS makes for `text`. */
  durationMsFor(text: string): number {
    return text.length * (this.#options.msPerChar ?? 10);
  }

  async warmup(): Promise<void> {
    this.warmups += 1;
  }

  async *synthesize(text: string, options: TtsSynthesizeOptions): AsyncGenerator<AudioFrame> {
    this.requests.push(text);
    const o = this.#options;
    const clock = o.clock ?? systemClock;
    const rate = this.outputSampleRateHz;
    const total = Math.round((this.durationMsFor(text) * rate) / 1000);
    const chunk = Math.max(1, Math.round(((o.chunkMs ?? 40) * rate) / 1000));
    const step = (2 * Math.PI * (o.frequencyHz ?? 440)) / rate;
    const amplitude = o.amplitude ?? 8000;
    const failure = o.failOn?.(text);
    const failAt =
      failure === undefined ? Number.POSITIVE_INFINITY : Math.round(((o.failAfterMs ?? 0) * rate) / 1000);
    const { signal } = options;
    try {
      await delay(o.firstAudioDelayMs ?? 0, signal, clock);
      for (let at = 0; at < total; at += chunk) {
        if (at >= failAt) throw failure;
        if (at > 0) await delay(o.chunkDelayMs ?? 0, signal, clock);
        const n = Math.min(chunk, total - at);
        const samples = new Int16Array(n);
        for (let i = 0; i < n; i++) samples[i] = Math.round(amplitude * Math.sin(step * (at + i)));
        yield audioFrame(samples, rate);
      }
      if (failure !== undefined) throw failure;
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      if (signal.aborted) this.aborted += 1;
    }
  }

  /** The tone for `chars` characters, starting `offset` samples into the stream, in frames. */
  #tone(chars: number, offset: number): Int16Array[] {
    const o = this.#options;
    const rate = this.outputSampleRateHz;
    const total = Math.round((chars * (o.msPerChar ?? 10) * rate) / 1000);
    const chunk = Math.max(1, Math.round(((o.chunkMs ?? 40) * rate) / 1000));
    const step = (2 * Math.PI * (o.frequencyHz ?? 440)) / rate;
    const amplitude = o.amplitude ?? 8000;
    const frames: Int16Array[] = [];
    for (let at = 0; at < total; at += chunk) {
      const n = Math.min(chunk, total - at);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = Math.round(amplitude * Math.sin(step * (offset + at + i)));
      frames.push(samples);
    }
    return frames;
  }

  /** When each word (or character) of `text` is spoken, starting at `startMs`. */
  #timingsFor(text: string, startMs: number): TtsTiming[] {
    const msPerChar = this.#options.msPerChar ?? 10;
    const mode = this.#options.timings ?? "words";
    const pieces = mode === "chars" ? [...text] : (text.match(/\S+\s*|\s+/g) ?? []);
    const out: TtsTiming[] = [];
    let at = startMs;
    for (const piece of pieces) {
      const spoken = piece.trimEnd().length;
      out.push({ text: piece, startMs: at, endMs: at + spoken * msPerChar });
      at += piece.length * msPerChar;
    }
    return out;
  }

  #openStream(options: TtsStreamOptions): TtsTextStream {
    const o = this.#options;
    const clock = o.clock ?? systemClock;
    const record = { text: "", ended: false };
    this.streams.push(record);
    const parts = new AsyncQueue<TtsStreamPart>();
    const commands = new AsyncQueue<{ kind: "text"; text: string } | { kind: "flush" }>();
    const { signal } = options;
    const onAbort = () => {
      this.aborted += 1;
      commands.end();
      parts.end();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const rate = this.outputSampleRateHz;
    const run = async () => {
      let offset = 0;
      let first = true;
      try {
        for await (const command of commands) {
          if (command.kind === "flush") {
            parts.push({ type: "flushed" });
            continue;
          }
          if (first) await delay(o.firstAudioDelayMs ?? 0, signal, clock);
          const failure = o.failOn?.(command.text);
          const startMs = (offset * 1000) / rate;
          if ((o.timings ?? "words") !== "none") {
            parts.push({ type: "timings", timings: this.#timingsFor(command.text, startMs) });
          }
          for (const samples of this.#tone(command.text.length, offset)) {
            if (!first) await delay(o.chunkDelayMs ?? 0, signal, clock);
            first = false;
            if (failure !== undefined && (offset * 1000) / rate - startMs >= (o.failAfterMs ?? 0)) {
              parts.push({ type: "error", error: failure });
              parts.end();
              return;
            }
            offset += samples.length;
            parts.push({ type: "audio", frame: audioFrame(samples, rate) });
          }
          first = false;
        }
        parts.end();
      } catch (error) {
        if (!signal.aborted) parts.push({ type: "error", error: error as Error });
        parts.end();
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    };
    void run();
    return {
      push: (text) => {
        this.requests.push(text);
        record.text += text;
        commands.push({ kind: "text", text });
      },
      flush: () => commands.push({ kind: "flush" }),
      end: () => {
        record.ended = true;
        commands.end();
      },
      [Symbol.asyncIterator]: () => parts[Symbol.asyncIterator](),
    };
  }
}
