// A WebSocket client for provider protocols (Deepgram, ElevenLabs, Gemini Live, OpenAI Realtime,
// Stream's SFU), on `ws`: a connect timeout, refusals and close codes mapped to typed errors,
// keep-alive while nothing is sent, and a close that cannot hang.
import { ProviderError, type ProviderErrorKind } from "@callwright/spec";
import WebSocket, { type RawData } from "ws";
import { abortError } from "./abortable.js";
import { type Clock, systemClock, Timer } from "./clock.js";
import { connectionError, statusError } from "./http-errors.js";
import { retryAfterFromHeaders } from "./retry-after.js";
import { TypedEmitter } from "./typed-emitter.js";

export type SocketMessage = { binary: false; data: string } | { binary: true; data: Uint8Array };

export interface SocketClose {
  code: number;
  reason: string;
  /** Why the socket ended when it was not a normal close (ours, or the provider's 1000). */
  error: ProviderError | undefined;
}

export interface ProviderSocketOptions {
  provider: string;
  /** Who is at the other end, for messages: "Deepgram". */
  where: string;
  headers?: Readonly<Record<string, string>>;
  protocols?: readonly string[];
  /** The handshake must complete within this, in ms. Default 10000. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /**
   * While nothing is sent for `intervalMs`, send `message` (a protocol's own keep-alive, e.g.
   * Deepgram's `{"type":"KeepAlive"}`), or a WebSocket ping when there is none.
   */
  keepAlive?: { intervalMs: number; message?: string | (() => string | Uint8Array) };
  /** A provider's own close codes: the kind of a close, or "normal"; undefined for the default table. */
  closeKind?: (code: number, reason: string) => ProviderErrorKind | "normal" | undefined;
  /** A sentence on what to do after a refused handshake with this status ("Check DEEPGRAM_API_KEY."). */
  refusalHint?: (status: number) => string | undefined;
  /** Largest message accepted, in bytes. Default 16 MiB. */
  maxPayloadBytes?: number;
  /** How long `close()` waits for the provider's close frame before dropping the socket, in ms. Default 2000. */
  closeTimeoutMs?: number;
  clock?: Clock;
}

export type ProviderSocketEvents = {
  message: [message: SocketMessage];
  /** Once, when the socket is gone; `error` says why when it was not a normal close. */
  close: [close: SocketClose];
};

/** The kind of an unexpected close, by RFC 6455 code; "normal" for 1000. */
export function defaultCloseKind(code: number): ProviderErrorKind | "normal" {
  if (code === 1000) return "normal";
  if (code === 1011 || code === 1012 || code === 1013 || code === 1014) return "server";
  if (code === 1002 || code === 1003 || code === 1007 || code === 1009 || code === 1010) return "protocol";
  if (code === 1008 || (code >= 4000 && code <= 4999)) return "bad_request";
  return "connection"; // 1001 going away, 1005 no status, 1006 dropped
}

const DEFAULTS = { connectTimeoutMs: 10_000, maxPayloadBytes: 16 * 1024 * 1024, closeTimeoutMs: 2_000 };

function toMessage(data: RawData, isBinary: boolean): SocketMessage {
  const buffer = Array.isArray(data)
    ? Buffer.concat(data)
    : data instanceof ArrayBuffer
      ? Buffer.from(data)
      : data;
  if (!isBinary) return { binary: false, data: buffer.toString("utf8") };
  return { binary: true, data: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) };
}

/**
 * One open provider WebSocket. `ProviderSocket.connect(url, options)` resolves once the
 * handshake is done, or rejects with a ProviderError (`auth` for a 401/403 refusal, `rate_limit`
 * for 429, `timeout`, `connection`) or the signal's AbortError.
 */
export class ProviderSocket extends TypedEmitter<ProviderSocketEvents> {
  readonly url: string;
  /** Resolves once, when the socket is gone. */
  readonly closed: Promise<SocketClose>;
  readonly #ws: WebSocket;
  readonly #options: ProviderSocketOptions;
  readonly #keepAlive: Timer;
  readonly #closeTimer: Timer;
  #closing = false;
  #ended = false;
  /** Messages that came before anyone listened (right after the handshake): delivered to the first listener. */
  #early: SocketMessage[] | undefined = [];
  #resolveClosed!: (close: SocketClose) => void;

  private constructor(url: string, ws: WebSocket, options: ProviderSocketOptions) {
    super();
    this.url = url;
    this.#ws = ws;
    this.#options = options;
    const clock = options.clock ?? systemClock;
    this.#keepAlive = new Timer(clock);
    this.#closeTimer = new Timer(clock);
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    ws.on("message", (data, isBinary) => {
      const message = toMessage(data, isBinary);
      if (this.#early !== undefined) this.#early.push(message);
      else this.emit("message", message);
    });
    ws.on("close", (code, reason) => this.#ended || this.#end(code, reason.toString("utf8")));
    ws.on("error", () => {
      // `close` follows every error (code 1006 when the connection broke).
    });
    this.#armKeepAlive();
  }

  static connect(url: string, options: ProviderSocketOptions): Promise<ProviderSocket> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const ws = new WebSocket(url, [...(options.protocols ?? [])], {
      headers: { ...options.headers },
      maxPayload: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
      perMessageDeflate: false,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = new Timer(options.clock ?? systemClock);
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        timer.clear();
        signal?.removeEventListener("abort", onAbort);
        ws.removeAllListeners();
        ws.on("error", () => {});
        ws.terminate();
        reject(error);
      };
      const onAbort = () => fail(abortError(signal));
      signal?.addEventListener("abort", onAbort, { once: true });
      timer.set(connectTimeoutMs, () =>
        fail(
          new ProviderError(
            `${options.where} did not complete the WebSocket handshake within ${connectTimeoutMs} ms (option connectTimeoutMs).`,
            { provider: options.provider, kind: "timeout", code: `${options.provider}_timeout` },
          ),
        ),
      );
      ws.once("unexpected-response", (_request, response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        const done = () => {
          const status = response.statusCode ?? 0;
          const hint = options.refusalHint?.(status);
          const retryAfterMs = retryAfterFromHeaders(response.headers);
          fail(
            statusError({
              provider: options.provider,
              status,
              statusText: response.statusMessage ?? "",
              bodyText: Buffer.concat(chunks).toString("utf8").slice(0, 2000),
              where: options.where,
              ...(hint === undefined ? {} : { hint }),
              ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            }),
          );
        };
        response.once("end", done);
        response.once("error", done);
      });
      ws.once("error", (error) =>
        fail(connectionError(error, { provider: options.provider, where: options.where })),
      );
      ws.once("open", () => {
        if (settled) return;
        settled = true;
        timer.clear();
        signal?.removeEventListener("abort", onAbort);
        ws.removeAllListeners();
        resolve(new ProviderSocket(url, ws, options));
      });
    });
  }

  /** Adds a listener; the first `message` listener also gets what arrived before it, in order. */
  override on<E extends keyof ProviderSocketEvents>(
    event: E,
    listener: (...args: ProviderSocketEvents[E]) => void,
  ): () => void {
    const off = super.on(event, listener);
    if (event === "message" && this.#early !== undefined) {
      const early = this.#early;
      this.#early = undefined;
      for (const message of early) this.emit("message", message);
    }
    return off;
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN && !this.#closing;
  }

  /** Sends a text (string) or binary message; false when the socket is not open. */
  send(data: string | Uint8Array): boolean {
    if (!this.open) return false;
    this.#ws.send(data, { binary: typeof data !== "string" });
    this.#armKeepAlive();
    return true;
  }

  sendJson(value: unknown): boolean {
    return this.send(JSON.stringify(value));
  }

  /** Bytes queued in the socket, not yet written to the network. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Closes with `code` (1000 by default); drops the socket if the provider does not answer in time. */
  close(code = 1000, reason = ""): Promise<SocketClose> {
    if (!this.#ended && !this.#closing) {
      this.#closing = true;
      this.#keepAlive.clear();
      try {
        this.#ws.close(code, reason);
      } catch {
        this.#ws.terminate();
      }
      this.#closeTimer.set(this.#options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs, () =>
        this.#ws.terminate(),
      );
    }
    return this.closed;
  }

  /** Drops the connection at once, without a close handshake. */
  terminate(): void {
    this.#closing = true;
    this.#ws.terminate();
  }

  #armKeepAlive(): void {
    const keepAlive = this.#options.keepAlive;
    if (keepAlive === undefined || this.#closing || this.#ended) return;
    this.#keepAlive.set(keepAlive.intervalMs, () => {
      if (!this.open) return;
      const m = keepAlive.message;
      if (m === undefined) this.#ws.ping();
      else this.#ws.send(typeof m === "function" ? m() : m);
      this.#armKeepAlive();
    });
  }

  #end(code: number, reason: string): void {
    this.#ended = true;
    this.#keepAlive.clear();
    this.#closeTimer.clear();
    let error: ProviderError | undefined;
    if (!this.#closing) {
      const kind = this.#options.closeKind?.(code, reason) ?? defaultCloseKind(code);
      if (kind !== "normal") {
        const said = reason === "" ? "" : `: ${reason}`;
        error = new ProviderError(`${this.#options.where} closed the connection (code ${code}${said}).`, {
          provider: this.#options.provider,
          kind,
          status: code,
          code: `${this.#options.provider}_${kind}`,
        });
      }
    }
    const close: SocketClose = { code, reason, error };
    this.#resolveClosed(close);
    this.emit("close", close);
    this.removeAllListeners();
  }
}
