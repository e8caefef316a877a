// `elevenlabs.TTS`: the TtsModel over ElevenLabs. `streamText()` streams a reply's text in over the
// WebSocket as the LLM writes it (a context on one kept-open socket by default); `synthesize()`
// is the per-sentence form over the HTTP streaming endpoint.
import { type Clock, requireApiKey, systemClock } from "@callwright/provider-utils";
import {
  type AudioFrame,
  ClosedError,
  ProviderError,
  type TtsModel,
  type TtsStreamOptions,
  type TtsSynthesizeOptions,
  type TtsTextStream,
  type WarmupOptions,
} from "@callwright/spec";
import { detailStatus, httpError, PROVIDER, WHERE } from "./errors.js";
import { synthesizeOverHttp } from "./http.js";
import { API_KEY_VARIABLE, resolveOptions, type TTSOptions, type TTSSettings } from "./options.js";
import type { TransportFactory } from "./segment.js";
import { ElevenLabsTextStream } from "./text-stream.js";
import {
  ContextTransport,
  MultiContextConnection,
  SocketTransport,
  type TransportContext,
} from "./transports.js";

/**
 * `new elevenlabs.TTS()`, or with options (`{ voiceId, model: "eleven_flash_v2_5",
 * outputSampleRateHz: 16000 }`): the key from ELEVENLABS_API_KEY, the service from
 * ELEVENLABS_BASE_URL (or ElevenLabs' own).
 *
 * `streamText()` yields audio, character `timings` (ms from the reply's first sample), `flushed`
 * after each `flush()`'s audio, and an `error` part if it fails; aborting its signal stops the
 * reply at once (its context is closed, or its socket). A failure before a segment's first
 * audio is retried.
 */
export class TTS implements TtsModel {
  readonly specificationVersion = "v1";
  readonly provider = PROVIDER;
  readonly modelId: string;
  readonly voiceId: string;
  readonly outputSampleRateHz: number;
  /** The service, without a trailing slash (the key is never exposed). */
  readonly baseUrl: string;
  readonly #options: TTSOptions;
  readonly #clock: Clock;
  readonly #streams = new Set<ElevenLabsTextStream>();
  readonly #synthesizing = new Set<AbortController>();
  #connection: MultiContextConnection | undefined;
  #closed = false;

  constructor(settings: TTSSettings = {}, env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock) {
    this.#options = resolveOptions(settings, env);
    this.modelId = this.#options.model;
    this.voiceId = this.#options.voiceId;
    this.outputSampleRateHz = this.#options.outputSampleRateHz;
    this.baseUrl = this.#options.baseUrl;
    this.#clock = clock;
  }

  /**
   * Fails, naming ELEVENLABS_API_KEY, when there is no key; then asks for the voice
   * (`GET /v1/voices/{voice_id}`), so a wrong key or voice shows at start, in ElevenLabs' words.
   * A key restricted to text-to-speech (no voice reading) passes.
   */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    const apiKey = this.#apiKey();
    const timeout = AbortSignal.timeout(this.#options.connectTimeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}/v1/voices/${encodeURIComponent(this.voiceId)}`, {
        headers: { "xi-api-key": apiKey },
        signal,
      });
      text = await response.text();
    } catch (error) {
      options.signal?.throwIfAborted();
      throw new ProviderError(
        timeout.aborted
          ? `${WHERE} did not answer within ${this.#options.connectTimeoutMs} ms (option connectTimeoutMs).`
          : `could not reach ${WHERE} at ${this.baseUrl} (${(error as Error).message}).`,
        {
          provider: PROVIDER,
          kind: timeout.aborted ? "timeout" : "connection",
          code: timeout.aborted ? "elevenlabs_timeout" : "elevenlabs_connection",
          retryable: true,
          cause: error,
        },
      );
    }
    if (response.ok) {
      options.logger?.debug({ voice: this.voiceId }, "ElevenLabs accepted the key and knows the voice");
      return;
    }
    if (response.status === 401 && detailStatus(text) === "missing_permissions") {
      options.logger?.debug(
        "the ElevenLabs key may not read voices; the voice is checked at the first reply",
      );
      return;
    }
    throw httpError(response, text, this.voiceId);
  }

  synthesize(text: string, options: TtsSynthesizeOptions): AsyncIterable<AudioFrame> {
    if (this.#closed) throw new ClosedError("elevenlabs.TTS");
    const apiKey = this.#apiKey();
    const controller = new AbortController();
    const signal = AbortSignal.any([options.signal, controller.signal]);
    const inFlight = this.#synthesizing;
    const source = synthesizeOverHttp(text, this.#options, apiKey, signal);
    return {
      async *[Symbol.asyncIterator]() {
        inFlight.add(controller);
        try {
          yield* source;
        } finally {
          inFlight.delete(controller);
        }
      },
    };
  }

  streamText(options: TtsStreamOptions): TtsTextStream {
    if (this.#closed) throw new ClosedError("elevenlabs.TTS");
    const ctx: TransportContext = { options: this.#options, apiKey: this.#apiKey(), clock: this.#clock };
    let newTransport: TransportFactory;
    if (this.#options.streaming === "multi-context") {
      this.#connection ??= new MultiContextConnection(ctx);
      const connection = this.#connection;
      newTransport = (handlers) => new ContextTransport(connection, handlers);
    } else {
      newTransport = (handlers) => new SocketTransport(ctx, handlers);
    }
    const stream: ElevenLabsTextStream = new ElevenLabsTextStream({
      options: this.#options,
      newTransport,
      clock: this.#clock,
      signal: options.signal,
      onOver: () => this.#streams.delete(stream),
    });
    if (!stream.over) this.#streams.add(stream);
    return stream;
  }

  /** Stops every reply and synthesis in flight and closes the kept-open socket; later calls throw. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const stream of [...this.#streams]) stream.closeFromModel();
    this.#streams.clear();
    for (const controller of this.#synthesizing) controller.abort(new ClosedError("elevenlabs.TTS"));
    this.#synthesizing.clear();
    this.#connection?.close();
    this.#connection = undefined;
  }

  #apiKey(): string {
    return requireApiKey({
      value: this.#options.apiKey,
      variables: [API_KEY_VARIABLE],
      providerName: "ElevenLabs",
    });
  }
}
