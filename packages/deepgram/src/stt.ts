// `deepgram.STT`: the SttModel over Deepgram's live `/v1/listen` WebSocket. Warm-up checks the
// key and the options with a stream that hears nothing; each `stream()` is one socket.
import { type Clock, ProviderSocket, requireApiKey, systemClock } from "@callwright/provider-utils";
import {
  ClosedError,
  type SttModel,
  type SttStream,
  type SttStreamOptions,
  type WarmupOptions,
} from "@callwright/spec";
import { closeKind, PROVIDER, refusalHint, WHERE } from "./errors.js";
import { API_KEY_VARIABLE, resolveOptions, type STTOptions, type STTSettings } from "./options.js";
import { DeepgramStream } from "./stream.js";
import { CLOSE_STREAM, listenUrl } from "./wire.js";

/**
 * `new deepgram.STT()`, or with options (`{ model: "nova-3", language: "en-US", keyterms: [...] }`):
 * the key from DEEPGRAM_API_KEY, the service from DEEPGRAM_BASE_URL (or Deepgram's own).
 *
 * Each stream is one WebSocket: interim and final transcripts, `speech_started` (Deepgram's
 * SpeechStarted), `speech_ended` (`speech_final` or UtteranceEnd); `flush()` sends `Finalize` and
 * is answered by exactly one final with `segmentEnd: true`. A stream that drops while it owes a
 * transcript ends with a non-recoverable, retryable error part (the voice loop re-opens it and
 * replays the audio); an idle one reconnects by itself.
 */
export class STT implements SttModel {
  readonly specificationVersion = "v1";
  readonly provider = PROVIDER;
  readonly modelId: string;
  readonly inputSampleRateHz: number;
  /** The service, without a trailing slash (the key is never exposed). */
  readonly baseUrl: string;
  readonly #options: STTOptions;
  readonly #clock: Clock;
  readonly #streams = new Set<DeepgramStream>();
  #closed = false;

  constructor(settings: STTSettings = {}, env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock) {
    this.#options = resolveOptions(settings, env);
    this.modelId = this.#options.model;
    this.inputSampleRateHz = this.#options.inputSampleRateHz;
    this.baseUrl = this.#options.baseUrl;
    this.#clock = clock;
  }

  /**
   * Fails, naming DEEPGRAM_API_KEY, when there is no key; then opens a stream with these options
   * and closes it at once (no audio, nothing billed), so a wrong key, model or option shows at
   * start with Deepgram's own words, not at the first sentence.
   */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    const apiKey = this.#apiKey();
    const socket = await ProviderSocket.connect(listenUrl(this.#options, undefined), {
      provider: PROVIDER,
      where: WHERE,
      headers: { authorization: `Token ${apiKey}` },
      connectTimeoutMs: this.#options.connectTimeoutMs,
      closeKind,
      refusalHint,
      closeTimeoutMs: this.#options.closeTimeoutMs,
      clock: this.#clock,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    socket.on("message", () => {
      // Metadata for a stream that heard nothing.
    });
    socket.send(CLOSE_STREAM);
    // Deepgram closes after its Metadata; close() waits for that, then drops the socket if it is slow.
    const timer = setTimeout(() => void socket.close(), this.#options.closeTimeoutMs);
    try {
      const closed = await socket.closed;
      if (closed.error !== undefined) throw closed.error;
    } finally {
      clearTimeout(timer);
    }
    options.logger?.debug({ model: this.modelId }, "Deepgram accepted the key and the stream options");
  }

  stream(options: SttStreamOptions): SttStream {
    if (this.#closed) throw new ClosedError("deepgram.STT");
    const stream: DeepgramStream = new DeepgramStream({
      options: this.#options,
      apiKey: this.#apiKey(),
      signal: options.signal,
      language: options.language,
      clock: this.#clock,
      onDone: () => this.#streams.delete(stream),
    });
    if (!stream.finished) this.#streams.add(stream);
    return stream;
  }

  /** Stops every open stream (their iterators throw ClosedError); later `stream()` calls throw. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const stream of [...this.#streams]) stream.closeFromModel();
    this.#streams.clear();
  }

  #apiKey(): string {
    return requireApiKey({
      value: this.#options.apiKey,
      variables: [API_KEY_VARIABLE],
      providerName: "Deepgram",
    });
  }
}
