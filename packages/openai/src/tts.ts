// openai.TTS: text to speech through the OpenAI audio API (`POST {baseUrl}/audio/speech`), so
// OpenAI and the local servers that speak the same API (Kokoro-FastAPI, speaches...) plug in by
// base URL. Asks for raw PCM (24 kHz 16-bit mono, `response_format: "pcm"`) or WAV, and yields
// frames as the bytes arrive, so the first audio plays before the sentence is synthesised.
import { causeText } from "@callwright/provider-utils";
import {
  type AudioFrame,
  audioFrame,
  ClosedError,
  ConfigError,
  type Logger,
  ProviderError,
  type TtsModel,
  type TtsSynthesizeOptions,
  type WarmupOptions,
} from "@callwright/spec";
import { read, resolveEndpoint } from "./audio/endpoint.js";
import { audioStreamError } from "./audio/errors.js";
import { readPiece, requestAudio } from "./audio/request.js";
import { WavHeaderReader } from "./audio/wav.js";
import { warmupAudioServer } from "./stt.js";

/** Speech models OpenAI serves; a local server takes its own ids (Kokoro-FastAPI: "kokoro"). */
export type OpenAITtsModelId = "gpt-4o-mini-tts" | "tts-1" | "tts-1-hd" | (string & {});

/** OpenAI's voices; a local server has its own (Kokoro: "af_heart", "am_michael"...). */
export type OpenAIVoice =
  | "alloy"
  | "ash"
  | "ballad"
  | "coral"
  | "echo"
  | "fable"
  | "nova"
  | "onyx"
  | "sage"
  | "shimmer"
  | "verse"
  | (string & {});

export interface TTSOptions {
  /** Model id. Default `OPENAI_TTS_MODEL`, else "gpt-4o-mini-tts". */
  model: OpenAITtsModelId;
  /** Voice. Default `OPENAI_TTS_VOICE`, else "alloy". */
  voice: OpenAIVoice;
  /** Bearer key. Default `OPENAI_TTS_API_KEY`, else `OPENAI_API_KEY` when the server is OPENAI_BASE_URL's (or OpenAI). */
  apiKey: string | undefined;
  /** The server, up to and including `/v1`. Default `OPENAI_TTS_BASE_URL`, else `OPENAI_BASE_URL`, else OpenAI's. */
  baseUrl: string | undefined;
  /** "pcm": raw 16-bit mono at `outputSampleRateHz`; "wav": the rate is read from the header. */
  responseFormat: "pcm" | "wav";
  /** The rate of the PCM the server sends (OpenAI and Kokoro: 24000), Hz. With "wav", the header's rate is used. */
  outputSampleRateHz: number;
  /** 0.25..4; undefined = the server's default (1). */
  speed: number | undefined;
  /** How to speak (tone, pace): gpt-4o-mini-tts only. */
  instructions: string | undefined;
  headers: Readonly<Record<string, string>>;
  /** From sending the text to the response's headers, per attempt, ms. */
  firstByteTimeoutMs: number;
  /** Longest silence in the streamed audio, ms. */
  idleTimeoutMs: number;
  /** Retries after the first attempt (408, 409, 429, 5xx, timeouts, dropped connections), before any audio. */
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  retryBudgetMs: number;
}

export const defaultTTSOptions = {
  model: "gpt-4o-mini-tts",
  voice: "alloy",
  apiKey: undefined,
  baseUrl: undefined,
  responseFormat: "pcm",
  outputSampleRateHz: 24_000,
  speed: undefined,
  instructions: undefined,
  headers: {},
  firstByteTimeoutMs: 15_000,
  idleTimeoutMs: 15_000,
  maxRetries: 2,
  retryBaseDelayMs: 250,
  maxRetryDelayMs: 5_000,
  retryBudgetMs: 20_000,
} as const satisfies TTSOptions;

export type TTSSettings = Partial<TTSOptions>;

/**
 * `new openai.TTS()`: server, key, model and voice from the environment (OPENAI_TTS_BASE_URL,
 * OPENAI_TTS_MODEL, OPENAI_TTS_VOICE...), or `new openai.TTS({ baseUrl:
 * "http://127.0.0.1:8880/v1", model: "kokoro", voice: "af_heart" })` for Kokoro-FastAPI.
 */
export class TTS implements TtsModel {
  readonly specificationVersion = "v1";
  readonly provider = "openai";
  readonly modelId: string;
  readonly voice: string;
  readonly outputSampleRateHz: number;
  readonly baseUrl: string;
  readonly baseUrlSource: string;
  readonly #options: TTSOptions;
  readonly #apiKey: string | undefined;
  readonly #inFlight = new Set<AbortController>();
  #logger: Logger | undefined;
  #closed = false;

  constructor(settings: TTSSettings = {}, env: NodeJS.ProcessEnv = process.env) {
    const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    const fromEnv: TTSSettings = {};
    const model = read(env, "OPENAI_TTS_MODEL");
    const voice = read(env, "OPENAI_TTS_VOICE");
    if (model !== undefined) fromEnv.model = model;
    if (voice !== undefined) fromEnv.voice = voice;
    this.#options = { ...defaultTTSOptions, ...fromEnv, ...given };
    const endpoint = resolveEndpoint("tts", settings, env, "openai.TTS");
    this.baseUrl = endpoint.baseUrl;
    this.baseUrlSource = endpoint.baseUrlSource;
    this.#apiKey = endpoint.apiKey;
    this.modelId = this.#options.model;
    this.voice = this.#options.voice;
    this.outputSampleRateHz = this.#options.outputSampleRateHz;
    checkOptions(this.#options);
  }

  async warmup(options: WarmupOptions = {}): Promise<void> {
    this.#logger = options.logger;
    await warmupAudioServer("tts", this.baseUrl, this.#headers(), this.#options.firstByteTimeoutMs, options);
  }

  async *synthesize(text: string, options: TtsSynthesizeOptions): AsyncGenerator<AudioFrame> {
    if (this.#closed) throw new ClosedError("openai.TTS");
    const { signal } = options;
    signal.throwIfAborted();
    if (text.trim() === "") return; // nothing to say (the API refuses empty input)
    const o = this.#options;
    const where = `the speech server at ${this.baseUrl}`;
    const mine = new AbortController();
    this.#inFlight.add(mine);
    const both = AbortSignal.any([signal, mine.signal]);
    try {
      const { response, controller, watchdog } = await requestAudio({
        kind: "tts",
        url: `${this.baseUrl}/audio/speech`,
        init: () => ({
          method: "POST",
          headers: { ...this.#headers(), "content-type": "application/json" },
          body: JSON.stringify({
            model: this.modelId,
            input: text,
            voice: this.voice,
            response_format: o.responseFormat,
            ...(o.speed === undefined ? {} : { speed: o.speed }),
            ...(o.instructions === undefined ? {} : { instructions: o.instructions }),
          }),
        }),
        signal: both,
        where,
        firstByteTimeoutMs: o.firstByteTimeoutMs,
        retry: {
          maxRetries: o.maxRetries,
          baseDelayMs: o.retryBaseDelayMs,
          maxDelayMs: o.maxRetryDelayMs,
          totalBudgetMs: o.retryBudgetMs,
          jitterRatio: 0.25,
        },
        onRetry: (error, attempt, delayMs) =>
          this.#logger?.debug({ code: error.code, attempt, delayMs }, "speech request failed; retrying"),
      });
      if (response.body === null)
        throw audioStreamError("tts", `${where} sent an empty body`, "bad_response");
      const reader = response.body.getReader();
      let finished = false;
      try {
        yield* this.#frames(reader, watchdog, where);
        finished = true;
      } catch (error) {
        if (both.aborted) {
          signal.throwIfAborted();
          throw new ClosedError("openai.TTS");
        }
        if (error instanceof ProviderError) throw error;
        throw (
          watchdog.fired ??
          audioStreamError(
            "tts",
            `${where} closed the connection mid-audio (${causeText(error)})`,
            "stream_interrupted",
            error,
          )
        );
      } finally {
        watchdog.clear();
        if (!finished) {
          // Abandoned mid-audio (barge-in, a failure, a consumer that stopped): drop the request.
          controller.abort();
          reader.cancel().catch(() => {});
        }
      }
    } catch (error) {
      if (mine.signal.aborted && !signal.aborted) throw new ClosedError("openai.TTS");
      throw error;
    } finally {
      this.#inFlight.delete(mine);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort();
    this.#inFlight.clear();
  }

  /** PCM frames from the body as it arrives (an odd byte waits for its pair). */
  async *#frames(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    watchdog: Parameters<typeof readPiece>[1],
    where: string,
  ): AsyncGenerator<AudioFrame> {
    const o = this.#options;
    const wav = o.responseFormat === "wav" ? new WavHeaderReader() : undefined;
    let rate = o.outputSampleRateHz;
    let channels = 1;
    let started = wav === undefined;
    let carry: Uint8Array = new Uint8Array(0);
    for (
      let piece = await readPiece(reader, watchdog, o.idleTimeoutMs);
      piece !== undefined;
      piece = await readPiece(reader, watchdog, o.idleTimeoutMs)
    ) {
      let bytes = piece;
      if (!started) {
        let header: ReturnType<WavHeaderReader["push"]>;
        try {
          header = wav!.push(piece);
        } catch (error) {
          throw audioStreamError("tts", `${where}: ${(error as Error).message}`, "bad_response", error);
        }
        if (header === undefined) continue;
        started = true;
        rate = header.format.sampleRateHz;
        channels = header.format.channels;
        bytes = header.pcm;
      }
      const joined = new Uint8Array(carry.length + bytes.length);
      joined.set(carry);
      joined.set(bytes, carry.length);
      const whole = joined.length - (joined.length % (2 * channels));
      carry = joined.slice(whole);
      if (whole === 0) continue;
      const samples = new Int16Array(whole / 2);
      new Uint8Array(samples.buffer).set(joined.subarray(0, whole));
      yield audioFrame(samples, rate, channels);
    }
    if (!started)
      throw audioStreamError("tts", `${where} ended before the WAV header was complete`, "bad_response");
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.#options.headers };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    return headers;
  }
}

function checkOptions(o: TTSOptions): void {
  if (o.model.trim() === "")
    throw new ConfigError("openai.TTS needs a model id: pass `model` or set OPENAI_TTS_MODEL");
  if (o.voice.trim() === "")
    throw new ConfigError("openai.TTS needs a voice: pass `voice` or set OPENAI_TTS_VOICE");
  if (o.responseFormat !== "pcm" && o.responseFormat !== "wav") {
    throw new ConfigError(
      `openai.TTS option responseFormat must be "pcm" or "wav", got '${String(o.responseFormat)}'`,
    );
  }
  if (!Number.isInteger(o.outputSampleRateHz) || o.outputSampleRateHz < 8_000) {
    throw new ConfigError("openai.TTS option outputSampleRateHz must be a whole number of Hz, at least 8000");
  }
  if (o.speed !== undefined && !(o.speed >= 0.25 && o.speed <= 4)) {
    throw new ConfigError("openai.TTS option speed must be between 0.25 and 4");
  }
  for (const name of [
    "firstByteTimeoutMs",
    "idleTimeoutMs",
    "retryBaseDelayMs",
    "maxRetryDelayMs",
    "retryBudgetMs",
  ] as const) {
    if (!(o[name] > 0))
      throw new ConfigError(`openai.TTS option ${name} must be a positive number of milliseconds`);
  }
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) {
    throw new ConfigError("openai.TTS option maxRetries must be a whole number ≥ 0");
  }
}
