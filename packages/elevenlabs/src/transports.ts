// How one segment of a reply travels: its own `stream-input` WebSocket, or a context on the
// model's shared `multi-stream-input` WebSocket. Both report the service's messages and failures
// to the segment that owns them; neither retries (the segment does).
import { type Clock, ProviderSocket, type SocketMessage } from "@callwright/provider-utils";
import type { ProviderError } from "@callwright/spec";
import {
  closeError,
  closeKind,
  PROVIDER,
  protocolError,
  refusalHint,
  serviceError,
  WHERE,
} from "./errors.js";
import type { TTSOptions } from "./options.js";
import { initMessage, parseServerMessage, type ServerMessage, streamUrl } from "./wire.js";

/** What a transport reports. */
export interface TransportHandlers {
  message(message: ServerMessage): void;
  /** The transport is broken (it reports nothing after this). */
  failed(error: ProviderError): void;
}

/** One attempt at one segment. */
export interface Transport {
  /** Text ending with a space; `flush` makes the service generate what it has buffered now. */
  send(text: string, flush: boolean): void;
  /** No more text: generate the rest; the service's `isFinal` follows the last audio. */
  finish(): void;
  /** Stop now: no more audio wanted. */
  abort(): void;
}

export interface TransportContext {
  options: TTSOptions;
  apiKey: string;
  clock: Clock;
}

/** Reads a socket message; a malformed one is a protocol failure (its audio is lost). */
function readMessage(message: SocketMessage): ServerMessage | ProviderError {
  if (message.binary) return protocolError("ElevenLabs sent a binary message where JSON was expected");
  const parsed = parseServerMessage(message.data);
  if ("invalid" in parsed)
    return protocolError(`ElevenLabs sent a message we cannot read (${parsed.invalid})`);
  return parsed;
}

/** Whether a message is the service's `{message, error}` report. */
function isServiceError(message: ServerMessage): boolean {
  return typeof message.error === "string" && message.audio === undefined && message.isFinal === undefined;
}

/** A `stream-input` WebSocket for one segment, opened at once; messages wait for the handshake. */
export class SocketTransport implements Transport {
  readonly #ctx: TransportContext;
  readonly #handlers: TransportHandlers;
  readonly #connectAbort = new AbortController();
  #socket: ProviderSocket | undefined;
  #outbox: string[] = [];
  #stopped = false;
  #final = false;
  /** The end of input (`{"text": ""}`) was sent. */
  #finishing = false;
  #serviceError: ProviderError | undefined;

  constructor(ctx: TransportContext, handlers: TransportHandlers) {
    this.#ctx = ctx;
    this.#handlers = handlers;
    const { options } = ctx;
    ProviderSocket.connect(streamUrl(options, "stream-input"), {
      provider: PROVIDER,
      where: WHERE,
      headers: { "xi-api-key": ctx.apiKey },
      connectTimeoutMs: options.connectTimeoutMs,
      signal: this.#connectAbort.signal,
      closeKind,
      refusalHint,
      clock: ctx.clock,
    }).then(
      (socket) => this.#opened(socket),
      (error: unknown) => {
        if (!this.#stopped) this.#fail(error as ProviderError);
      },
    );
  }

  send(text: string, flush: boolean): void {
    this.#write(JSON.stringify(flush ? { text, flush: true } : { text }));
  }

  finish(): void {
    this.#finishing = true;
    this.#write(JSON.stringify({ text: "" }));
  }

  abort(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#outbox = [];
    // Barge-in: drop the connection now (the service stops generating when it goes); a close
    // handshake would keep the reply's socket, and its audio, alive for round trips more.
    if (this.#socket === undefined) this.#connectAbort.abort();
    else this.#socket.terminate();
  }

  #opened(socket: ProviderSocket): void {
    if (this.#stopped) {
      void socket.close(1000);
      return;
    }
    this.#socket = socket;
    socket.on("message", (m) => this.#onMessage(m));
    socket.on("close", (close) => {
      if (this.#stopped || this.#final) return;
      if (close.code === 1000 && this.#finishing && this.#serviceError === undefined) {
        // All text was sent and the service closed normally: its audio is all out.
        this.#final = true;
        this.#handlers.message({ isFinal: true });
        return;
      }
      this.#fail(this.#serviceError ?? closeError(close, this.#ctx.options));
    });
    socket.send(JSON.stringify(initMessage(this.#ctx.options)));
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const text of outbox) socket.send(text);
  }

  #write(text: string): void {
    if (this.#stopped) return;
    if (this.#socket === undefined) this.#outbox.push(text);
    else this.#socket.send(text);
  }

  #onMessage(raw: SocketMessage): void {
    if (this.#stopped) return;
    const m = readMessage(raw);
    if (m instanceof Error) {
      this.#fail(m);
      return;
    }
    if (isServiceError(m)) {
      // The close follows; report it with the service's words.
      this.#serviceError = serviceError(m, this.#ctx.options);
      return;
    }
    if (m.isFinal === true) this.#final = true;
    this.#handlers.message(m);
    if (this.#final) {
      this.#stopped = true;
      void this.#socket?.close(1000);
    }
  }

  #fail(error: ProviderError): void {
    if (this.#stopped && this.#final) return;
    this.#stopped = true;
    this.#outbox = [];
    void this.#socket?.close(1000);
    this.#handlers.failed(error);
  }
}

/**
 * The model's `multi-stream-input` WebSocket: opened on first use, kept open between replies,
 * re-opened on the next use after it closed. Each context's messages go to its handlers.
 */
export class MultiContextConnection {
  readonly #ctx: TransportContext;
  /** Open contexts, with the socket (by generation) that carries them. */
  readonly #contexts = new Map<string, { handlers: TransportHandlers; generation: number }>();
  #socket: ProviderSocket | undefined;
  #connect: AbortController | undefined;
  /** Counts connects: the open socket (or the one connecting) is the latest. */
  #generation = 0;
  #outbox: string[] = [];
  #serviceError: ProviderError | undefined;
  #closed = false;

  constructor(ctx: TransportContext) {
    this.#ctx = ctx;
  }

  get open(): boolean {
    return this.#socket?.open === true;
  }

  /** Registers a context and sends its first message, connecting if needed. */
  openContext(contextId: string, handlers: TransportHandlers): void {
    this.send(initMessage(this.#ctx.options, contextId));
    this.#contexts.set(contextId, { handlers, generation: this.#generation });
  }

  /** No more messages for this context are delivered. */
  release(contextId: string): void {
    this.#contexts.delete(contextId);
  }

  send(message: Record<string, unknown>): void {
    if (this.#closed) return;
    const text = JSON.stringify(message);
    if (this.#socket?.open === true) {
      this.#socket.send(text);
      return;
    }
    this.#outbox.push(text);
    if (this.#connect === undefined) this.#startConnect();
  }

  /** Closes the socket; contexts still open fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connect?.abort();
    this.#connect = undefined;
    this.#outbox = [];
    const socket = this.#socket;
    this.#socket = undefined;
    void socket?.close(1000);
    this.#contexts.clear();
  }

  #startConnect(): void {
    const controller = new AbortController();
    this.#connect = controller;
    this.#generation += 1;
    const generation = this.#generation;
    const { options } = this.#ctx;
    ProviderSocket.connect(streamUrl(options, "multi-stream-input"), {
      provider: PROVIDER,
      where: WHERE,
      headers: { "xi-api-key": this.#ctx.apiKey },
      connectTimeoutMs: options.connectTimeoutMs,
      signal: controller.signal,
      closeKind,
      refusalHint,
      clock: this.#ctx.clock,
    }).then(
      (socket) => {
        if (this.#connect !== controller || this.#closed) {
          void socket.close(1000);
          return;
        }
        this.#connect = undefined;
        this.#socket = socket;
        socket.on("message", (m) => this.#onMessage(m));
        socket.on("close", (close) => this.#onClose(socket, generation, close));
        const outbox = this.#outbox;
        this.#outbox = [];
        for (const text of outbox) socket.send(text);
      },
      (error: unknown) => {
        if (this.#connect !== controller) return;
        this.#connect = undefined;
        this.#outbox = [];
        this.#fail(generation, error as ProviderError);
      },
    );
  }

  #onMessage(raw: SocketMessage): void {
    const message = readMessage(raw);
    if (message instanceof Error) {
      // We cannot tell whose audio it was: every reply in flight has lost some.
      this.#fail(this.#generation, message);
      return;
    }
    const contextId = message.contextId ?? message.context_id;
    if (isServiceError(message)) {
      const error = serviceError(message, this.#ctx.options);
      const context = contextId === undefined ? undefined : this.#contexts.get(contextId);
      if (context !== undefined) {
        this.#contexts.delete(contextId!);
        context.handlers.failed(error);
      } else {
        this.#serviceError = error; // the close follows
      }
      return;
    }
    if (contextId === undefined) return;
    const context = this.#contexts.get(contextId);
    if (context === undefined) return; // a context closed or aborted: its late audio is dropped
    if (message.isFinal === true) this.#contexts.delete(contextId);
    context.handlers.message(message);
  }

  #onClose(socket: ProviderSocket, generation: number, close: Parameters<typeof closeError>[0]): void {
    if (socket === this.#socket) this.#socket = undefined;
    const error = this.#serviceError ?? closeError(close, this.#ctx.options);
    this.#serviceError = undefined;
    // An idle close between replies fails nobody; the next reply re-opens the socket.
    this.#fail(generation, error);
  }

  /** Fails the contexts carried by the socket of `generation`. */
  #fail(generation: number, error: ProviderError): void {
    for (const [id, context] of [...this.#contexts]) {
      if (context.generation !== generation) continue;
      this.#contexts.delete(id);
      context.handlers.failed(error);
    }
  }
}

let nextContext = 0;

/** One context on the shared socket. */
export class ContextTransport implements Transport {
  readonly #connection: MultiContextConnection;
  readonly #contextId: string;
  #stopped = false;

  constructor(connection: MultiContextConnection, handlers: TransportHandlers) {
    this.#connection = connection;
    nextContext += 1;
    this.#contextId = `cw-${process.pid.toString(36)}-${Date.now().toString(36)}-${nextContext}`;
    connection.openContext(this.#contextId, {
      message: (m) => {
        if (m.isFinal === true) this.#stopped = true;
        handlers.message(m);
      },
      failed: (e) => {
        if (this.#stopped) return;
        this.#stopped = true;
        handlers.failed(e);
      },
    });
  }

  get contextId(): string {
    return this.#contextId;
  }

  send(text: string, flush: boolean): void {
    if (this.#stopped) return;
    this.#connection.send(
      flush ? { text, context_id: this.#contextId, flush: true } : { text, context_id: this.#contextId },
    );
  }

  finish(): void {
    if (this.#stopped) return;
    // Flush what is buffered, then close: a flushing context finishes its audio, then `isFinal`.
    this.#connection.send({ text: "", context_id: this.#contextId, flush: true });
    this.#connection.send({ context_id: this.#contextId, close_context: true });
  }

  abort(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#connection.release(this.#contextId);
    this.#connection.send({ context_id: this.#contextId, close_context: true });
  }
}
