// A small but complete STT plugin for a made-up streaming service, "Acme Speech", written the way
// docs/writing-a-plugin.md explains: the spec's interface, the shared helpers, no framework code.
//
// The protocol: a WebSocket at `{baseUrl}/v1/stream?rate=16000` with `Authorization: Bearer KEY`.
// The client sends binary 16-bit PCM and JSON text messages `{"type":"flush"}` (finish what you
// heard), `{"type":"ping"}` (keep-alive) and `{"type":"close"}`; the service answers
// `{"type":"partial","text"}`, `{"type":"final","text","flushed":bool}`.
import {
  AsyncQueue,
  baseUrlFrom,
  ProviderSocket,
  requireApiKey,
  webSocketUrl,
} from "@callwright/provider-utils";
import type {
  AudioFrame,
  SttModel,
  SttPart,
  SttStream,
  SttStreamOptions,
  WarmupOptions,
} from "@callwright/spec";
import { ProviderError, StateError } from "@callwright/spec";

/** Options of `AcmeSTT`; every one has a default. */
export interface AcmeSttOptions {
  /** Default `ACME_API_KEY`. */
  apiKey: string | undefined;
  /** Scheme, host and port of the service. Default `ACME_BASE_URL`, else https://api.acme.example. */
  baseUrl: string | undefined;
  /** Sent while no audio flows, so the service keeps the socket, in ms. Default 5000. */
  keepAliveMs: number;
  /** The WebSocket handshake must complete within this, in ms. Default 10000. */
  connectTimeoutMs: number;
}

export const defaultAcmeSttOptions = {
  apiKey: undefined,
  baseUrl: undefined,
  keepAliveMs: 5_000,
  connectTimeoutMs: 10_000,
} as const satisfies AcmeSttOptions;

export class AcmeSTT implements SttModel {
  readonly specificationVersion = "v1";
  readonly provider = "acme";
  readonly modelId = "acme-stream-1";
  readonly inputSampleRateHz = 16000;
  readonly #options: AcmeSttOptions;
  readonly #key: string;
  readonly #baseUrl: string;

  constructor(options: Partial<AcmeSttOptions> = {}, env: NodeJS.ProcessEnv = process.env) {
    this.#options = { ...defaultAcmeSttOptions, ...options };
    // A missing key fails here, at construction, naming the variable: never mid-call.
    this.#key = requireApiKey({
      value: this.#options.apiKey,
      variables: ["ACME_API_KEY"],
      env,
      providerName: "Acme Speech",
    });
    this.#baseUrl = baseUrlFrom({
      value: this.#options.baseUrl,
      variable: "ACME_BASE_URL",
      defaultUrl: "https://api.acme.example",
      env,
    });
  }

  /** Opens (and closes) a socket, so a wrong key shows at start-up. */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    const socket = await this.#connect(options.signal);
    await socket.close();
  }

  stream(options: SttStreamOptions): SttStream {
    return new AcmeStream(this.#connect(options.signal), options.signal);
  }

  #connect(signal: AbortSignal | undefined): Promise<ProviderSocket> {
    return ProviderSocket.connect(webSocketUrl(this.#baseUrl, "/v1/stream", { rate: "16000" }), {
      provider: this.provider,
      where: "Acme Speech",
      headers: { authorization: `Bearer ${this.#key}` },
      connectTimeoutMs: this.#options.connectTimeoutMs,
      keepAlive: { intervalMs: this.#options.keepAliveMs, message: '{"type":"ping"}' },
      refusalHint: (status) => (status === 401 ? "Check ACME_API_KEY." : undefined),
      ...(signal === undefined ? {} : { signal }),
    });
  }
}

/** One participant's recognition: audio in, parts out. */
class AcmeStream implements SttStream {
  readonly #parts = new AsyncQueue<SttPart>();
  /** What was pushed before the socket opened, sent once it does. */
  #pending: (Uint8Array | string)[] = [];
  #socket: ProviderSocket | undefined;
  #ended = false;

  constructor(socket: Promise<ProviderSocket>, signal: AbortSignal) {
    signal.addEventListener("abort", () => this.#finish(), { once: true });
    socket.then(
      (s) => this.#opened(s),
      (error: unknown) => this.#fail(error),
    );
  }

  push(frame: AudioFrame): void {
    if (this.#ended) throw new StateError("push after end() on an Acme STT stream");
    const s = frame.samples;
    this.#send(new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
  }

  flush(): void {
    this.#send('{"type":"flush"}');
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#send('{"type":"close"}');
  }

  [Symbol.asyncIterator](): AsyncIterator<SttPart> {
    return this.#parts[Symbol.asyncIterator]();
  }

  #send(message: Uint8Array | string): void {
    if (this.#socket === undefined) this.#pending.push(message);
    else this.#socket.send(message);
  }

  #opened(socket: ProviderSocket): void {
    this.#socket = socket;
    for (const m of this.#pending) socket.send(m);
    this.#pending = [];
    socket.on("message", (m) => {
      if (m.binary) return;
      let event: { type?: string; text?: string; flushed?: boolean };
      try {
        event = JSON.parse(m.data);
      } catch {
        this.#parts.push({
          type: "error",
          error: new ProviderError(`Acme Speech sent a message that is not JSON: ${m.data.slice(0, 100)}`, {
            provider: "acme",
            kind: "protocol",
          }),
          recoverable: true,
        });
        return;
      }
      if (event.type === "partial") this.#parts.push({ type: "interim", text: event.text ?? "" });
      if (event.type === "final") {
        this.#parts.push({ type: "final", text: event.text ?? "", segmentEnd: event.flushed === true });
      }
    });
    socket.on("close", ({ error }) => (error === undefined ? this.#finish() : this.#fail(error)));
  }

  /** A failure ends the stream: the voice loop opens a new one and replays what was unanswered. */
  #fail(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    this.#parts.push({ type: "error", error: e, recoverable: false });
    this.#finish();
  }

  #finish(): void {
    this.#ended = true;
    this.#socket?.terminate();
    this.#parts.end();
  }
}
