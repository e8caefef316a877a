import {
  type AudioFrame,
  audioFrame,
  CallwrightError,
  ClosedError,
  ProviderError,
  type TtsModel,
  type TtsSynthesizeOptions,
  type WarmupOptions,
} from "callwright";
import {
  checkFliteVoice,
  defaultSampleRateHz,
  type EngineSettings,
  engineDefaults,
  festivalInstallHint,
  festivalVoice,
  synthesizeWav,
  type TtsEngine,
} from "./engines.js";
import { WavReader } from "./wav-reader.js";

export interface LocalTtsOptions {
  /**
   * `flite` (default): 10–60 ms to first audio, light. `festival`: the HTS voice, smoother,
   * ≈300 ms to first audio.
   */
  engine: TtsEngine;
  /**
   * flite: `kal16` (default: first audio in ≈10 ms and the voice pocketsphinx reads best), `slt`
   * (more natural, ≈55 ms), `awb`, `rms`, `kal` (8 kHz) or a `.flitevox` path. festival:
   * `cmu_us_slt_arctic_hts` (default; alias `slt`) or another installed festival voice.
   */
  voice: string | undefined;
  /**
   * Rate of the audio yielded. Default: flite's voice rate (16000; 8000 for `kal`); festival
   * 32000 (festival resamples to the rate asked). Warm-up checks it against what the voice writes.
   */
  sampleRateHz: number | undefined;
  /** The binary to run. Default `flite`, or `text2wave` for festival. */
  binaryPath: string | undefined;
}

export const defaultLocalTtsOptions = {
  engine: "flite",
  voice: undefined,
  sampleRateHz: undefined,
  binaryPath: undefined,
} as const satisfies LocalTtsOptions;

/** Longest frame yielded: the loop re-frames anyway; shorter frames let an abort land sooner. */
const maxFrameMs = 200;

/**
 * Offline text-to-speech with Debian's flite (default) or festival, one child process per
 * sentence. Needs `apt-get install -y flite` (festival: `festival festvox-us-slt-hts`).
 */
export class TTS implements TtsModel {
  readonly specificationVersion = "v1";
  readonly provider = "local";
  readonly modelId: string;
  readonly outputSampleRateHz: number;
  readonly options: Readonly<LocalTtsOptions>;
  readonly #settings: EngineSettings;
  readonly #closing = new AbortController();

  constructor(options: Partial<LocalTtsOptions> = {}) {
    this.options = { ...defaultLocalTtsOptions, ...options };
    const { engine } = this.options;
    const voice = this.options.voice ?? engineDefaults[engine].voice;
    const sampleRateHz = this.options.sampleRateHz ?? defaultSampleRateHz(engine, voice);
    if (engine === "festival") festivalVoice(voice);
    this.#settings = {
      engine,
      voice,
      sampleRateHz,
      binaryPath: this.options.binaryPath ?? engineDefaults[engine].binaryPath,
    };
    this.outputSampleRateHz = sampleRateHz;
    this.modelId = `${engine}-${voice}`;
  }

  /**
   * Checks the binary and the voice and synthesises one word, so a missing package fails now
   * with its install command rather than at the first reply.
   */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    const signal = options.signal ?? new AbortController().signal;
    const { engine, binaryPath, voice } = this.#settings;
    if (engine === "flite") await checkFliteVoice(binaryPath, voice);
    try {
      let samples = 0;
      for await (const frame of this.synthesize("Ready.", { signal })) samples += frame.samples.length;
      if (samples === 0)
        throw new ProviderError(`local TTS: ${engine} produced no audio`, { provider: "local" });
    } catch (error) {
      if (engine === "festival" && error instanceof ProviderError) {
        throw new CallwrightError(
          `local TTS: festival cannot speak with voice '${voice}' (${error.message}). Install it with: ${festivalInstallHint}`,
          { code: "tts_voice_missing", fault: "user", cause: error },
        );
      }
      throw error;
    }
  }

  async *synthesize(text: string, options: TtsSynthesizeOptions): AsyncGenerator<AudioFrame> {
    if (this.#closing.signal.aborted) throw new ClosedError("local TTS");
    options.signal.throwIfAborted();
    if (text.trim() === "") return;
    const signal = AbortSignal.any([options.signal, this.#closing.signal]);
    const reader = new WavReader();
    const maxFrameSamples = (this.outputSampleRateHz * maxFrameMs) / 1000;
    for await (const bytes of synthesizeWav(this.#settings, text, signal)) {
      const samples = reader.push(bytes);
      const format = reader.format;
      if (format === undefined) continue;
      if (format.sampleRateHz !== this.outputSampleRateHz || format.channels !== 1) {
        throw new ProviderError(
          `local TTS: ${this.modelId} writes ${format.sampleRateHz} Hz with ${format.channels} channel(s), ` +
            `not ${this.outputSampleRateHz} Hz mono; set sampleRateHz: ${format.sampleRateHz}`,
          { provider: "local", code: "tts_format_mismatch" },
        );
      }
      for (let i = 0; i < samples.length; i += maxFrameSamples) {
        signal.throwIfAborted();
        yield audioFrame(samples.subarray(i, i + maxFrameSamples), this.outputSampleRateHz);
      }
    }
    if (reader.format === undefined) {
      throw new ProviderError(`local TTS: ${this.modelId} produced no audio`, { provider: "local" });
    }
  }

  /** Stops every synthesis in progress (their children are killed). */
  async close(): Promise<void> {
    this.#closing.abort();
  }
}
