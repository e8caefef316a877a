// A kit for protocol fakes: one HTTP + WebSocket server on 127.0.0.1 that a provider's fake
// (Deepgram, ElevenLabs, Gemini...) scripts, with the fault switches every fake needs: a bad
// key, 429s, a slow first byte, a drop after N messages, a malformed message. It records what
// it received so tests can assert on the wire.
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { AsyncQueue } from "../async-queue.js";
import { sleep } from "../sleep.js";
import type { SocketMessage } from "../websocket.js";

/** Switches a test flips to make the fake misbehave; each fake answers them as its service does. */
export interface FakeFaults {
  /** Refuse every request and handshake as an unknown key (`authFailure`). */
  badKey: boolean;
  /** Answer this many next requests or handshakes with the service's 429 (`rateLimited`). */
  rateLimitNext: number;
  /** Wait this long, in ms, before the first byte of each answer (HTTP status line, WebSocket handshake). */
  firstByteDelayMs: number;
  /** Drop the connection after this many messages (SSE events, body chunks, socket messages) of one answer or socket. */
  dropAfterMessages: number | undefined;
  /** Send the next message malformed (`malformed`), once. */
  malformedNext: boolean;
}

export function defaultFaults(): FakeFaults {
  return {
    badKey: false,
    rateLimitNext: 0,
    firstByteDelayMs: 0,
    dropAfterMessages: undefined,
    malformedNext: false,
  };
}

/** An HTTP answer: status, JSON (or text) body, headers. */
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

export interface FakeServerOptions {
  http?: (request: FakeHttpRequest, response: FakeHttpResponse) => void | Promise<void>;
  websocket?: (socket: FakeSocket) => void | Promise<void>;
  /** Whether a request or handshake carries a good key. Default: every one does. */
  authorize?: (request: { headers: IncomingHttpHeaders; url: URL }) => boolean;
  /**
   * How the service refuses a WebSocket handshake it will not upgrade for a reason of its own (a
   * bad query: an unknown model, a missing parameter), checked after the key; undefined upgrades.
   * It may take its time (a fake's simulated network round trips before the upgrade).
   */
  refuseUpgrade?: (request: {
    headers: IncomingHttpHeaders;
    url: URL;
  }) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>;
  /** How the service refuses a bad key. Default 401 `{"error": "unauthorized"}`. */
  authFailure?: FakeAnswer;
  /** How the service answers too many requests. Default 429 with `retry-after: 1`. */
  rateLimited?: FakeAnswer;
  /** What a malformed message is. Default `{not json`. */
  malformed?: string;
}

/** A request the fake received. */
export interface FakeHttpRequest {
  method: string;
  /** Path and query, e.g. "/v1/listen?model=nova-3". */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  receivedAtMs: number;
  /** Resolves when the answer ended or the client went away. */
  finished: Promise<void>;
  /** True when the client went away before the answer was complete. */
  readonly clientAborted: boolean;
}

function send(res: ServerResponse, answer: FakeAnswer): void {
  const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
  const type = typeof answer.body === "string" ? "text/plain" : "application/json";
  res.writeHead(answer.status, { "content-type": type, ...answer.headers });
  res.end(text);
}

/**
 * A connection dropped after its Nth message dies this long after that message was written, so
 * the client has read it (a stream's buffered data is lost when it errors) as over a real network.
 */
const DROP_AFTER_MS = 20;

/** Counts the messages of one answer or socket against `dropAfterMessages` and `malformedNext`. */
class MessageFaults {
  #sent = 0;
  constructor(
    private readonly faults: FakeFaults,
    private readonly malformed: string,
  ) {}

  /** What to send in place of `data` (the malformed message, once). */
  substitute<T>(data: T): T | string {
    if (!this.faults.malformedNext) return data;
    this.faults.malformedNext = false;
    return this.malformed;
  }

  /** Counts one message sent; true when the connection must now drop. */
  sentOne(): boolean {
    this.#sent += 1;
    const limit = this.faults.dropAfterMessages;
    return limit !== undefined && this.#sent >= limit;
  }
}

/** Writes server-sent events; each event counts as a message for the faults. */
export class SseWriter {
  readonly #res: ServerResponse;
  readonly #faults: MessageFaults;
  #dropped = false;

  constructor(res: ServerResponse, faults: MessageFaults) {
    this.#res = res;
    this.#faults = faults;
  }

  /** False once the connection dropped (by a fault or the client). */
  get open(): boolean {
    return !this.#dropped && !this.#res.destroyed && !this.#res.writableEnded;
  }

  /** `data: <json>\n\n` (a string is sent as it is), with `event:` when named. */
  event(data: unknown, options: { event?: string } = {}): void {
    if (!this.open) return;
    const sent = this.#faults.substitute(data);
    const text = typeof sent === "string" ? sent : JSON.stringify(sent);
    const name = options.event === undefined ? "" : `event: ${options.event}\n`;
    const lines = text.split("\n").map((line) => `data: ${line}`);
    const event = `${name}${lines.join("\n")}\n\n`;
    if (!this.#faults.sentOne()) {
      this.#res.write(event);
      return;
    }
    // The event reaches the client (which reads it), then the connection dies mid-body.
    this.#dropped = true;
    this.#res.write(event, () => setTimeout(() => this.#res.socket?.destroy(), DROP_AFTER_MS));
  }

  comment(text = "keep-alive"): void {
    if (this.open) this.#res.write(`: ${text}\n\n`);
  }

  /** Bytes as they are (CRLF line ends, an event without its blank line...). */
  raw(text: string): void {
    if (this.open) this.#res.write(text);
  }

  end(): void {
    if (this.open) this.#res.end();
  }

  /** Destroys the connection mid-stream. */
  drop(): void {
    this.#dropped = true;
    this.#res.socket?.destroy();
  }
}

/** Writes a streamed binary body in chunks; each chunk counts as a message for the faults. */
export class ChunkWriter {
  readonly #res: ServerResponse;
  readonly #faults: MessageFaults;
  #dropped = false;

  constructor(res: ServerResponse, faults: MessageFaults) {
    this.#res = res;
    this.#faults = faults;
  }

  get open(): boolean {
    return !this.#res.destroyed && !this.#res.writableEnded;
  }

  write(chunk: Uint8Array | string): void {
    if (!this.open || this.#dropped) return;
    const data = this.#faults.substitute(chunk);
    if (!this.#faults.sentOne()) {
      this.#res.write(data);
      return;
    }
    // The chunk reaches the client (which reads it), then the connection dies mid-body.
    this.#dropped = true;
    this.#res.write(data, () => setTimeout(() => this.#res.socket?.destroy(), DROP_AFTER_MS));
  }

  end(): void {
    if (this.open) this.#res.end();
  }

  drop(): void {
    this.#res.socket?.destroy();
  }
}

/** How the fake answers one request. Every method waits out `firstByteDelayMs` first. */
export class FakeHttpResponse {
  readonly #res: ServerResponse;
  readonly #faults: FakeFaults;
  readonly #malformed: string;

  constructor(res: ServerResponse, faults: FakeFaults, malformed: string) {
    this.#res = res;
    this.#faults = faults;
    this.#malformed = malformed;
  }

  async json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    await this.#firstByte();
    send(this.#res, { status, body, headers });
  }

  async text(status: number, text: string, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    await this.#firstByte();
    send(this.#res, { status, body: text, headers });
  }

  /** Starts an event stream (200, `text/event-stream`). */
  async sse(headers: Readonly<Record<string, string>> = {}): Promise<SseWriter> {
    await this.#firstByte();
    this.#res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...headers,
    });
    this.#res.flushHeaders();
    return new SseWriter(this.#res, new MessageFaults(this.#faults, this.#malformed));
  }

  /** Starts a streamed body (chunked). */
  async stream(status: number, headers: Readonly<Record<string, string>> = {}): Promise<ChunkWriter> {
    await this.#firstByte();
    this.#res.writeHead(status, headers);
    this.#res.flushHeaders();
    return new ChunkWriter(this.#res, new MessageFaults(this.#faults, this.#malformed));
  }

  /** Never answers (no status line): a hung server. */
  hang(): void {}

  /** Closes the connection without answering. */
  drop(): void {
    this.#res.socket?.destroy();
  }

  async #firstByte(): Promise<void> {
    if (this.#faults.firstByteDelayMs > 0) await sleep(this.#faults.firstByteDelayMs);
  }
}

/** One WebSocket a client opened to the fake. */
export class FakeSocket {
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Every message the client sent, in order. */
  readonly received: SocketMessage[] = [];
  /** Resolves with the close code and reason when the socket is gone. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #ws: WebSocket;
  readonly #faults: MessageFaults;
  readonly #queue = new AsyncQueue<SocketMessage>();
  readonly #listeners = new Set<(message: SocketMessage) => void>();
  #dropping = false;

  constructor(ws: WebSocket, request: IncomingMessage, faults: FakeFaults, malformed: string) {
    this.#ws = ws;
    this.url = new URL(request.url ?? "/", "http://127.0.0.1");
    this.headers = request.headers;
    this.#faults = new MessageFaults(faults, malformed);
    ws.on("message", (data: RawData, isBinary: boolean) => {
      const message = toMessage(data, isBinary);
      this.received.push(message);
      this.#queue.push(message);
      for (const listener of this.#listeners) listener(message);
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.#queue.end();
        resolve({ code, reason: reason.toString("utf8") });
      });
    });
    ws.on("error", () => {});
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Messages as they arrive (each once, in order); ends when the socket closes. */
  messages(): AsyncIterable<SocketMessage> {
    return this.#queue;
  }

  /** The next message the client sends that matches (within `timeoutMs`). */
  async next(match: (m: SocketMessage) => boolean = () => true, timeoutMs = 5000): Promise<SocketMessage> {
    const timeout = AbortSignal.timeout(timeoutMs);
    for await (const m of this.#queue) {
      if (match(m)) return m;
      if (timeout.aborted) break;
    }
    throw new Error(`no matching message within ${timeoutMs} ms (socket ${this.open ? "open" : "closed"})`);
  }

  onMessage(listener: (message: SocketMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  send(data: string | Uint8Array): void {
    if (!this.open || this.#dropping) return;
    const sent = this.#faults.substitute(data);
    if (!this.#faults.sentOne()) {
      this.#ws.send(sent, { binary: typeof sent !== "string" });
      return;
    }
    // The message reaches the client (which reads it), then the connection dies without a close frame.
    this.#dropping = true;
    this.#ws.send(sent, { binary: typeof sent !== "string" }, () =>
      setTimeout(() => this.drop(), DROP_AFTER_MS),
    );
  }

  sendJson(value: unknown): void {
    this.send(JSON.stringify(value));
  }

  close(code = 1000, reason = ""): void {
    // A connection being dropped (a fault) is broken: no close frame gets through it any more.
    if (this.open && !this.#dropping) this.#ws.close(code, reason);
  }

  /** Drops the TCP connection without a close frame (the client sees 1006). */
  drop(): void {
    this.#ws.terminate();
  }
}

function toMessage(data: RawData, isBinary: boolean): SocketMessage {
  const buffer = Array.isArray(data)
    ? Buffer.concat(data)
    : data instanceof ArrayBuffer
      ? Buffer.from(data)
      : data;
  if (!isBinary) return { binary: false, data: buffer.toString("utf8") };
  return { binary: true, data: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) };
}

const DEFAULT_AUTH_FAILURE: FakeAnswer = { status: 401, body: { error: "unauthorized" } };
const DEFAULT_RATE_LIMITED: FakeAnswer = {
  status: 429,
  body: { error: "rate limited" },
  headers: { "retry-after": "1" },
};

/**
 * `const server = await FakeServer.start({ http, websocket, ... })`: listening on 127.0.0.1 at
 * an ephemeral port. `close()` ends every connection.
 */
export class FakeServer {
  readonly faults: FakeFaults = defaultFaults();
  /** Every HTTP request received, in order. */
  readonly requests: FakeHttpRequest[] = [];
  /** Every WebSocket opened, in order. */
  readonly sockets: FakeSocket[] = [];
  readonly port: number;
  readonly #server: ReturnType<typeof createServer>;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Socket>();
  #connectionsAccepted = 0;

  private constructor(server: ReturnType<typeof createServer>, wss: WebSocketServer) {
    this.#server = server;
    this.#wss = wss;
    this.port = (server.address() as AddressInfo).port;
  }

  /** e.g. http://127.0.0.1:40123 */
  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** e.g. ws://127.0.0.1:40123 */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** TCP connections accepted so far (a reused keep-alive connection counts once). */
  get connectionsAccepted(): number {
    return this.#connectionsAccepted;
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeServer> {
    const malformed = options.malformed ?? "{not json";
    const authFailure = options.authFailure ?? DEFAULT_AUTH_FAILURE;
    const rateLimited = options.rateLimited ?? DEFAULT_RATE_LIMITED;
    let fake: FakeServer | undefined;
    const refusal = (headers: IncomingHttpHeaders, url: URL): FakeAnswer | undefined => {
      const faults = fake!.faults;
      if (faults.badKey || (options.authorize !== undefined && !options.authorize({ headers, url }))) {
        return authFailure;
      }
      if (faults.rateLimitNext > 0) {
        faults.rateLimitNext -= 1;
        return rateLimited;
      }
      return undefined;
    };

    const server = createServer((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        await once(req, "end").catch(() => {});
        const rawBody = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = rawBody.length === 0 ? undefined : JSON.parse(rawBody.toString("utf8"));
        } catch {
          json = undefined;
        }
        let aborted = false;
        const finished = new Promise<void>((resolve) => {
          res.once("close", () => {
            aborted = !res.writableFinished;
            resolve();
          });
        });
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const request: FakeHttpRequest = {
          method: req.method ?? "GET",
          path: req.url ?? "/",
          url,
          headers: req.headers,
          rawBody,
          json,
          receivedAtMs: performance.now(),
          finished,
          get clientAborted() {
            return aborted;
          },
        };
        fake!.requests.push(request);
        const response = new FakeHttpResponse(res, fake!.faults, malformed);
        const refused = refusal(req.headers, url);
        if (refused !== undefined) {
          await response.json(refused.status, refused.body, refused.headers);
          return;
        }
        if (options.http === undefined) {
          await response.json(404, { error: "not found" });
          return;
        }
        await options.http(request, response);
      })().catch((error: unknown) => {
        if (!res.headersSent) send(res, { status: 500, body: { error: String(error) } });
        else res.destroy();
      });
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on("upgrade", (req, socket, head) => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const faults = fake!.faults;
        if (faults.firstByteDelayMs > 0) await sleep(faults.firstByteDelayMs);
        const refused =
          refusal(req.headers, url) ?? (await options.refuseUpgrade?.({ headers: req.headers, url }));
        if (refused !== undefined || options.websocket === undefined) {
          const answer = refused ?? { status: 404, body: { error: "not found" } };
          const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
          const extra = Object.entries(answer.headers ?? {})
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join("");
          socket.end(
            `HTTP/1.1 ${answer.status} Refused\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
          );
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          const fakeSocket = new FakeSocket(ws, req, faults, malformed);
          fake!.sockets.push(fakeSocket);
          void Promise.resolve(options.websocket!(fakeSocket)).catch(() => fakeSocket.drop());
        });
      })();
    });
    server.on("connection", (socket) => {
      fake!.#connectionsAccepted += 1;
      fake!.#connections.add(socket);
      socket.once("close", () => fake!.#connections.delete(socket));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    fake = new FakeServer(server, wss);
    return fake;
  }

  /** Stops listening and ends every connection and socket. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.drop();
    for (const c of this.#connections) c.destroy();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
