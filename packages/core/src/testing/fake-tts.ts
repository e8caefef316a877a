import { type Clock, systemClock } from "@callwright/provider-utils";
import type { TtsModel, TtsSynthesizeOptions } from "@callwright/spec";
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
  /** Every text, in order. */
  readonly requests: string[] = [];
  /** Syntheses stopped by their signal. */
  aborted = 0;
  warmups = 0;
  readonly #options: FakeTtsOptions;

  constructor(options: FakeTtsOptions = {}) {
    this.#options = options;
    this.outputSampleRateHz = options.outputSampleRateHz ?? 24000;
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
}
