// openai.STT: speech to text through the OpenAI audio API (`POST {baseUrl}/audio/transcriptions`,
// multipart with a WAV of the segment), so OpenAI and the local servers that speak the same API
// (speaches/faster-whisper, whisper.cpp's server, parakeet servers...) plug in by base URL. The
// API is not streaming audio in: each stream keeps the audio pushed since the last `flush()` and
// sends it as one file when `flush()` comes; the transcript's deltas are passed on as interim
// text when the server streams them (`stream=true`), and the segment's final comes at the end.
import {
  AsyncQueue,
  causeText,
  readSseEvents,
  timeoutError,
  type Watchdog,
} from "@callwright/provider-utils";
import {
  type AudioFrame,
  ClosedError,
  ConfigError,
  type Logger,
  ProviderError,
  type SttModel,
  type SttPart,
  type SttStream,
  type SttStreamOptions,
  type WarmupOptions,
} from "@callwright/spec";
import { read, resolveEndpoint } from "./audio/endpoint.js";
import { audioConnectionError, audioHttpError, audioStreamError } from "./audio/errors.js";
import { readPiece, requestAudio } from "./audio/request.js";
import { encodeWav } from "./audio/wav.js";

/** Transcription models OpenAI serves; a local server takes its own ids (e.g. "Systran/faster-whisper-small"). */
export type OpenAISttModelId = "gpt-4o-mini-transcribe" | "gpt-4o-transcribe" | "whisper-1" | (string & {});

export interface STTOptions {
  /** Model id. Default `OPENAI_STT_MODEL`, else "gpt-4o-mini-transcribe". */
  model: OpenAISttModelId;
  /** Bearer key. Default `OPENAI_STT_API_KEY`, else `OPENAI_API_KEY` when the server is OPENAI_BASE_URL's (or OpenAI). */
  apiKey: string | undefined;
  /** The server, up to and including `/v1`. Default `OPENAI_STT_BASE_URL`, else `OPENAI_BASE_URL`, else OpenAI's. */
  baseUrl: string | undefined;
  /** ISO-639-1 language ("en"; "en-US" is cut to "en"). Default `OPENAI_STT_LANGUAGE`; a stream's own `language` wins; undefined = the server detects it. */
  language: string | undefined;
  /** Text that steers the recognizer (names, spellings). */
  prompt: string | undefined;
  /** Ask the server to stream the transcript (`stream=true`); servers that cannot answer with JSON, which is read too. */
  stream: boolean;
  /** Rate of the audio `push` takes and the WAV carries, Hz (whisper models work at 16 kHz). */
  inputSampleRateHz: number;
  /** A segment shorter than this is not sent (its final is empty): OpenAI refuses audio under 0.1 s. */
  minSegmentMs: number;
  /** A segment longer than this is sent in pieces of this length (each piece's text as a final before the segment's end). */
  maxSegmentMs: number;
  /** Extra headers on every request. */
  headers: Readonly<Record<string, string>>;
  /** From sending a segment to the response's headers, per attempt, ms. */
  firstByteTimeoutMs: number;
  /** Longest silence in a streamed answer, ms. */
  idleTimeoutMs: number;
  /** Retries after the first attempt (408, 409, 429, 5xx, timeouts, dropped connections), before the answer starts. */
  maxRetries: number;
  /** First retry's delay, ms; doubles per retry, minus up to 25 % jitter. */
  retryBaseDelayMs: number;
  /** Longest wait before a retry, ms; a server asking for longer gets no retry. */
  maxRetryDelayMs: number;
  /** All attempts and waits for one segment, ms. */
  retryBudgetMs: number;
}

export const defaultSTTOptions = {
  model: "gpt-4o-mini-transcribe",
  apiKey: undefined,
  baseUrl: undefined,
  language: undefined,
  prompt: undefined,
  stream: true,
  inputSampleRateHz: 16_000,
  minSegmentMs: 100,
  maxSegmentMs: 60_000,
  headers: {},
  firstByteTimeoutMs: 15_000,
  idleTimeoutMs: 15_000,
  maxRetries: 2,
  retryBaseDelayMs: 250,
  maxRetryDelayMs: 5_000,
  retryBudgetMs: 20_000,
} as const satisfies STTOptions;

export type STTSettings = Partial<STTOptions>;

/**
 * `new openai.STT()`: server, key and model from the environment (OPENAI_STT_BASE_URL,
 * OPENAI_STT_MODEL...; docs/providers.md), or `new openai.STT({ baseUrl: "http://127.0.0.1:8000/v1",
 * model: "Systran/faster-whisper-small" })` for a local speaches server.
 */
export class STT implements SttModel {
  readonly specificationVersion = "v1";
  readonly provider = "openai";
  readonly modelId: string;
  readonly inputSampleRateHz: number;
  /** The server, without a trailing slash. */
  readonly baseUrl: string;
  /** Which setting chose the server ("OPENAI_STT_BASE_URL", "OPENAI_BASE_URL"...), for logs. */
  readonly baseUrlSource: string;
  readonly #options: STTOptions;
  readonly #apiKey: string | undefined;
  readonly #streams = new Set<OpenAISttStream>();
  #logger: Logger | undefined;
  #closed = false;

  constructor(settings: STTSettings = {}, env: NodeJS.ProcessEnv = process.env) {
    const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    const fromEnv: STTSettings = {};
    const model = read(env, "OPENAI_STT_MODEL");
    const language = read(env, "OPENAI_STT_LANGUAGE");
    if (model !== undefined) fromEnv.model = model;
    if (language !== undefined) fromEnv.language = language;
    this.#options = { ...defaultSTTOptions, ...fromEnv, ...given };
    const endpoint = resolveEndpoint("stt", settings, env, "openai.STT");
    this.baseUrl = endpoint.baseUrl;
    this.baseUrlSource = endpoint.baseUrlSource;
    this.#apiKey = endpoint.apiKey;
    this.modelId = this.#options.model;
    this.inputSampleRateHz = this.#options.inputSampleRateHz;
    checkOptions(this.#options);
  }

  /** Checks the server answers (GET /models) and takes the key; servers without a model list pass. */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    this.#logger = options.logger;
    await warmupAudioServer("stt", this.baseUrl, this.#headers(), this.#options.firstByteTimeoutMs, options);
  }

  stream(options: SttStreamOptions): SttStream {
    if (this.#closed) throw new ClosedError("openai.STT");
    const server: SttServer = {
      options: this.#options,
      baseUrl: this.baseUrl,
      modelId: this.modelId,
      headers: () => this.#headers(),
      logger: () => this.#logger,
    };
    const stream = new OpenAISttStream(server, options, (s) => this.#streams.delete(s));
    this.#streams.add(stream);
    return stream;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const stream of this.#streams) stream.abort();
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.#options.headers };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    return headers;
  }
}

function checkOptions(o: STTOptions): void {
  if (o.model.trim() === "")
    throw new ConfigError("openai.STT needs a model id: pass `model` or set OPENAI_STT_MODEL");
  if (!Number.isInteger(o.inputSampleRateHz) || o.inputSampleRateHz < 8_000) {
    throw new ConfigError("openai.STT option inputSampleRateHz must be a whole number of Hz, at least 8000");
  }
  for (const name of [
    "minSegmentMs",
    "maxSegmentMs",
    "firstByteTimeoutMs",
    "idleTimeoutMs",
    "retryBaseDelayMs",
    "maxRetryDelayMs",
    "retryBudgetMs",
  ] as const) {
    if (!(o[name] > 0))
      throw new ConfigError(`openai.STT option ${name} must be a positive number of milliseconds`);
  }
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) {
    throw new ConfigError("openai.STT option maxRetries must be a whole number ≥ 0");
  }
}

/** GET {baseUrl}/models: a refused key fails warm-up; a server without the route passes. */
export async function warmupAudioServer(
  kind: "stt" | "tts",
  baseUrl: string,
  headers: Record<string, string>,
  timeoutMs: number,
  options: WarmupOptions,
): Promise<void> {
  const signal =
    options.signal === undefined
      ? AbortSignal.timeout(timeoutMs)
      : AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]);
  const where = `the audio server at ${baseUrl}`;
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/models`, { headers, signal });
    await response.arrayBuffer();
  } catch (error) {
    options.signal?.throwIfAborted();
    if (signal.aborted) {
      throw timeoutError({
        provider: "openai",
        where,
        what: "no answer to GET /models",
        timeoutMs,
        option: "firstByteTimeoutMs",
        code: `${kind}_timeout`,
      });
    }
    throw audioConnectionError(kind, error, where);
  }
  if (response.status === 401 || response.status === 403) {
    throw audioHttpError(kind, response.status, response.statusText, "", where, undefined);
  }
}

/** "en-US" → "en". */
function languageCode(language: string | undefined): string | undefined {
  if (language === undefined || language.trim() === "") return undefined;
  return language.trim().split(/[-_]/)[0]!.toLowerCase();
}

/** What a stream needs of its model. */
interface SttServer {
  options: STTOptions;
  baseUrl: string;
  modelId: string;
  headers(): Record<string, string>;
  logger(): Logger | undefined;
}

interface Segment {
  frames: Int16Array[];
  samples: number;
  /** True for the piece that ends a segment (the answer to a flush). */
  segmentEnd: boolean;
}

/** One participant's recognition: segments queued by `flush()`, transcribed one at a time, in order. */
class OpenAISttStream implements SttStream {
  readonly #model: SttServer;
  readonly #options: SttStreamOptions;
  readonly #parts = new AsyncQueue<SttPart>();
  readonly #queue: Segment[] = [];
  readonly #controller = new AbortController();
  readonly #onClosed: (s: OpenAISttStream) => void;
  #open: Segment = { frames: [], samples: 0, segmentEnd: false };
  #working = false;
  #ended = false;
  #closed = false;
  readonly #onAbort = () => this.abort();

  constructor(model: SttServer, options: SttStreamOptions, onClosed: (s: OpenAISttStream) => void) {
    this.#model = model;
    this.#options = options;
    this.#onClosed = onClosed;
    if (options.signal.aborted) this.abort();
    else options.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  push(frame: AudioFrame): void {
    if (this.#closed || this.#ended) return;
    const rate = this.#model.options.inputSampleRateHz;
    if (frame.sampleRateHz !== rate || frame.channels !== 1) {
      throw new RangeError(
        `openai.STT takes mono ${rate} Hz audio, got ${frame.channels} ch at ${frame.sampleRateHz} Hz`,
      );
    }
    this.#open.frames.push(frame.samples.slice());
    this.#open.samples += frame.samples.length;
    if ((this.#open.samples * 1000) / rate >= this.#model.options.maxSegmentMs) {
      this.#enqueue(false); // a long monologue goes in pieces
    }
  }

  flush(): void {
    if (this.#closed || this.#ended) return;
    this.#enqueue(true);
  }

  end(): void {
    if (this.#closed || this.#ended) return;
    this.#ended = true;
    if (!this.#working && this.#queue.length === 0) this.#finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<SttPart> {
    return this.#parts[Symbol.asyncIterator]();
  }

  /** Stops at once: the request in flight is closed, the iterator ends. */
  abort(): void {
    if (this.#closed) return;
    this.#controller.abort();
    this.#finish();
  }

  #enqueue(segmentEnd: boolean): void {
    this.#queue.push({ ...this.#open, segmentEnd });
    this.#open = { frames: [], samples: 0, segmentEnd: false };
    if (!this.#working) void this.#work();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.signal.removeEventListener("abort", this.#onAbort);
    this.#parts.end();
    this.#onClosed(this);
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      for (let segment = this.#queue.shift(); segment !== undefined; segment = this.#queue.shift()) {
        const text = await this.#transcribe(segment);
        if (this.#closed) return;
        this.#parts.push({ type: "final", text, segmentEnd: segment.segmentEnd });
      }
      if (this.#ended) this.#finish();
    } catch (error) {
      if (this.#closed || this.#controller.signal.aborted) return;
      // Retries are spent: the stream is over; the voice loop opens another and replays the speech.
      this.#parts.push({
        type: "error",
        error: error instanceof Error ? error : new Error(String(error)),
        recoverable: false,
      });
      this.#finish();
    } finally {
      this.#working = false;
    }
  }

  async #transcribe(segment: Segment): Promise<string> {
    const model = this.#model;
    const o = model.options;
    const rate = o.inputSampleRateHz;
    if ((segment.samples * 1000) / rate < o.minSegmentMs) return "";
    const samples = new Int16Array(segment.samples);
    let at = 0;
    for (const frame of segment.frames) {
      samples.set(frame, at);
      at += frame.length;
    }
    const wav = encodeWav(samples, rate);
    const language = languageCode(this.#options.language ?? o.language);
    const where = `the transcription server at ${model.baseUrl}`;
    const { response, controller, watchdog } = await requestAudio({
      kind: "stt",
      url: `${model.baseUrl}/audio/transcriptions`,
      init: () => {
        const form = new FormData();
        form.append("file", new Blob([wav], { type: "audio/wav" }), "speech.wav");
        form.append("model", model.modelId);
        form.append("response_format", "json");
        if (o.stream) form.append("stream", "true");
        if (language !== undefined) form.append("language", language);
        if (o.prompt !== undefined) form.append("prompt", o.prompt);
        return { method: "POST", headers: model.headers(), body: form };
      },
      signal: this.#controller.signal,
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
        model
          .logger()
          ?.debug({ code: error.code, attempt, delayMs }, "transcription request failed; retrying"),
    });
    const body = response.body;
    const type = response.headers.get("content-type") ?? "";
    try {
      if (body === null) throw audioStreamError("stt", `${where} sent an empty body`, "bad_response");
      if (type.includes("text/event-stream"))
        return await this.#readEvents(body, watchdog, where, o.idleTimeoutMs);
      const reader = body.getReader();
      const chunks: Uint8Array[] = [];
      for (
        let piece = await readPiece(reader, watchdog, o.idleTimeoutMs);
        piece !== undefined;
        piece = await readPiece(reader, watchdog, o.idleTimeoutMs)
      ) {
        chunks.push(piece);
      }
      const text = Buffer.concat(chunks).toString("utf8");
      if (type.includes("text/plain")) return text.trim();
      try {
        const parsed = JSON.parse(text) as { text?: unknown };
        if (typeof parsed.text === "string") return parsed.text.trim();
      } catch (error) {
        throw audioStreamError(
          "stt",
          `${where} sent an answer that is not JSON: ${text.slice(0, 200)}`,
          "bad_response",
          error,
        );
      }
      throw audioStreamError(
        "stt",
        `${where} sent JSON without a \`text\`: ${text.slice(0, 200)}`,
        "bad_response",
      );
    } catch (error) {
      this.#controller.signal.throwIfAborted();
      if (error instanceof ProviderError) throw error;
      throw (
        watchdog.fired ??
        audioStreamError(
          "stt",
          `${where} closed the connection mid-answer (${causeText(error)})`,
          "stream_interrupted",
          error,
        )
      );
    } finally {
      watchdog.clear();
      controller.abort();
    }
  }

  /** A streamed answer: `transcript.text.delta` events as interim text, `transcript.text.done` as the text. */
  async #readEvents(
    body: ReadableStream<Uint8Array>,
    watchdog: Watchdog,
    where: string,
    idleTimeoutMs: number,
  ): Promise<string> {
    let sofar = "";
    let done: string | undefined;
    watchdog.arm("nothing", idleTimeoutMs, "idleTimeoutMs");
    for await (const event of readSseEvents(body)) {
      watchdog.arm("nothing", idleTimeoutMs, "idleTimeoutMs");
      if (event.data.trim() === "[DONE]") break;
      let data: { type?: unknown; delta?: unknown; text?: unknown; error?: unknown };
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        throw audioStreamError(
          "stt",
          `${where} sent an event that is not JSON: ${event.data.slice(0, 200)}`,
          "bad_response",
          error,
        );
      }
      if (data.error !== undefined) {
        throw audioStreamError(
          "stt",
          `${where} reported an error mid-answer: ${JSON.stringify(data.error).slice(0, 300)}`,
          "bad_response",
        );
      }
      if (data.type === "transcript.text.delta" && typeof data.delta === "string") {
        sofar += data.delta;
        if (sofar.trim() !== "") this.#parts.push({ type: "interim", text: sofar.trim() });
      } else if (data.type === "transcript.text.done" && typeof data.text === "string") {
        done = data.text;
      } else if (data.type === undefined && typeof data.text === "string") {
        // Servers that stream whole segments (speaches): each event is the next piece of text.
        sofar = sofar === "" ? data.text : `${sofar} ${data.text.trim()}`;
        this.#parts.push({ type: "interim", text: sofar.trim() });
      }
    }
    watchdog.clear();
    return (done ?? sofar).trim();
  }
}
