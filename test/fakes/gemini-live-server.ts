// A fake of Google's Gemini Live API (BidiGenerateContent over a WebSocket) on 127.0.0.1, from
// Google's public documentation: the client's first message is `setup` (model, generationConfig
// with responseModalities AUDIO and speechConfig, systemInstruction, tools, realtimeInputConfig,
// input/output transcription, sessionResumption), answered by `setupComplete`; audio comes as
// `realtimeInput.audio` (base64 16-bit PCM, `audio/pcm;rate=16000`); text as `clientContent`;
// tool results as `toolResponse.functionResponses`. It answers as the service does: it hears the
// user with its own activity detection (speech, then `silenceMs` of quiet, in audio time), sends
// `inputTranscription`, then `serverContent.modelTurn` audio (24 kHz, 40 ms chunks, faster than
// real time) with `outputTranscription`, `turnComplete`, `usageMetadata` and a
// `sessionResumptionUpdate`; speech over its answer gets `interrupted`. Messages go as binary
// frames of JSON, as Google's server sends them. Faults: a bad key (the handshake refused),
// a drop mid-answer, `goAway`, an internal error (close 1011).
import { FakeServer, type FakeSocket } from "@callwright/provider-utils/testing";

export const FAKE_GEMINI_LIVE_KEY = "fake-gemini-live-key";

/** One scripted answer: what the fake says to the next user turn. */
export interface LiveAnswer {
  /** What the fake transcribes the user's turn as. */
  heard?: string;
  /** What it says (outputTranscription). */
  text: string;
  /** Audio it sends for it, ms. Default 60 ms per word, at least 400. */
  audioMs?: number;
  /** A function call before the answer; the answer follows the toolResponse. */
  toolCall?: { name: string; args: Record<string, unknown> };
}

export interface FakeGeminiLiveOptions {
  apiKey?: string;
  /** Quiet after speech that ends the user's turn, ms of audio. Default 500. */
  silenceMs?: number;
  /** RMS (0..1) above which a chunk is speech. Default 0.02. */
  speechRms?: number;
  /** How much faster than real time the answer's audio is sent. Default 4. */
  speedup?: number;
}

interface SessionState {
  socket: FakeSocket;
  setup: Record<string, unknown>;
  speaking: boolean;
  voicedMs: number;
  silentMs: number;
  answering: { interrupted: boolean } | undefined;
  pendingTool: ((response: unknown) => void) | undefined;
}

export class FakeGeminiLive {
  readonly server: FakeServer;
  readonly apiKey: string;
  /** Every `setup` received, in order (one per connection). */
  readonly setups: Record<string, unknown>[] = [];
  /** Every toolResponse received. */
  readonly toolResponses: unknown[] = [];
  /** Every clientContent received. */
  readonly clientContents: unknown[] = [];
  /** Every `realtimeInput.video` still received: its mimeType and decoded size. */
  readonly videoFrames: { mimeType: string; bytes: number }[] = [];
  /** Answers to give, in order; when empty, a default one. */
  readonly answers: LiveAnswer[] = [];
  /** Audio received, ms (all connections). */
  audioInMs = 0;
  interruptions = 0;
  /** Drop the connection after this many audio chunks of the next answer (once). */
  dropMidAnswerAfterChunks: number | undefined;
  /** Handles this fake issued (resumable). */
  readonly handles = new Set<string>();
  /** Setups that came with a handle this fake knows. */
  resumed = 0;
  readonly #options: Required<FakeGeminiLiveOptions>;
  #sessions: SessionState[] = [];
  #handleCount = 0;

  private constructor(server: FakeServer, options: Required<FakeGeminiLiveOptions>) {
    this.server = server;
    this.apiKey = options.apiKey;
    this.#options = options;
  }

  static async start(options: FakeGeminiLiveOptions = {}): Promise<FakeGeminiLive> {
    const resolved: Required<FakeGeminiLiveOptions> = {
      apiKey: options.apiKey ?? FAKE_GEMINI_LIVE_KEY,
      silenceMs: options.silenceMs ?? 500,
      speechRms: options.speechRms ?? 0.02,
      speedup: options.speedup ?? 4,
    };
    let fake: FakeGeminiLive | undefined;
    const server = await FakeServer.start({
      authorize: ({ headers, url }) =>
        (url.searchParams.get("key") ?? headers["x-goog-api-key"]) === resolved.apiKey,
      authFailure: {
        status: 400,
        body: {
          error: {
            code: 400,
            message: "API key not valid. Please pass a valid API key.",
            status: "INVALID_ARGUMENT",
            details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }],
          },
        },
      },
      refuseUpgrade: ({ url }) =>
        /^\/ws\/google\.ai\.generativelanguage\.v1(alpha|beta)?\.GenerativeService\.BidiGenerateContent$/.test(
          // Google's SDK joins its base URL's trailing slash and the path: "//ws/...", which the
          // kit's URL parser reads as a host named "ws".
          (url.host === "ws" ? `/ws${url.pathname}` : url.pathname).replace(/\/{2,}/g, "/"),
        )
          ? undefined
          : { status: 404, body: { error: { code: 404, message: "Not Found", status: "NOT_FOUND" } } },
      websocket: (socket) => fake!.#serve(socket),
    });
    fake = new FakeGeminiLive(server, resolved);
    return fake;
  }

  /** e.g. http://127.0.0.1:40123: the `baseUrl` of gemini.Realtime and of @google/genai. */
  get baseUrl(): string {
    return this.server.httpUrl;
  }

  /** Connections opened so far. */
  get connections(): number {
    return this.server.sockets.length;
  }

  /** Tells the current connection to go away (the client should resume on a new one). */
  goAway(): void {
    const session = this.#sessions.at(-1);
    session?.socket.send(JSON.stringify({ goAway: { timeLeft: "2s" } }));
  }

  /** Closes the current connection as the service does on its own failure. */
  internalError(): void {
    this.#sessions.at(-1)?.socket.close(1011, "Internal error encountered.");
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  #send(session: SessionState, value: unknown): void {
    session.socket.send(Buffer.from(JSON.stringify(value)));
  }

  async #serve(socket: FakeSocket): Promise<void> {
    const first = await socket.next();
    const text = first.binary ? Buffer.from(first.data).toString("utf8") : first.data;
    const setup = (JSON.parse(text) as { setup?: Record<string, unknown> }).setup;
    if (setup === undefined || typeof setup.model !== "string" || !setup.model.startsWith("models/")) {
      socket.close(1007, "Request contains an invalid argument.");
      return;
    }
    this.setups.push(setup);
    const handle = (setup.sessionResumption as { handle?: string } | undefined)?.handle;
    if (handle !== undefined) {
      if (!this.handles.has(handle)) {
        socket.close(1007, "Session resumption handle is invalid.");
        return;
      }
      this.resumed += 1;
    }
    const session: SessionState = {
      socket,
      setup,
      speaking: false,
      voicedMs: 0,
      silentMs: 0,
      answering: undefined,
      pendingTool: undefined,
    };
    this.#sessions.push(session);
    this.#send(session, { setupComplete: {} });
    socket.onMessage((message) => {
      const body = message.binary ? Buffer.from(message.data).toString("utf8") : message.data;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
      } catch {
        socket.close(1007, "Invalid JSON payload received.");
        return;
      }
      this.#onClient(session, parsed);
    });
  }

  #onClient(session: SessionState, message: Record<string, unknown>): void {
    const realtime = message.realtimeInput as
      | { audio?: { data: string; mimeType: string }; video?: { data: string; mimeType: string } }
      | undefined;
    if (realtime?.video !== undefined) {
      // The Live API takes stills as image/jpeg (or png) blobs, base64, about one a second.
      const { data, mimeType } = realtime.video;
      if (!/^image\/(jpeg|png)$/.test(mimeType) || typeof data !== "string" || data.length === 0) {
        session.socket.close(1007, "Invalid video blob.");
        return;
      }
      this.videoFrames.push({ mimeType, bytes: Buffer.from(data, "base64").length });
      return;
    }
    if (realtime?.audio !== undefined) {
      this.#hear(session, realtime.audio);
      return;
    }
    if (message.toolResponse !== undefined) {
      this.toolResponses.push(message.toolResponse);
      const resume = session.pendingTool;
      session.pendingTool = undefined;
      resume?.(message.toolResponse);
      return;
    }
    if (message.clientContent !== undefined) {
      this.clientContents.push(message.clientContent);
      const content = message.clientContent as { turnComplete?: boolean };
      if (content.turnComplete) void this.#answer(session, undefined);
    }
  }

  #hear(session: SessionState, audio: { data: string; mimeType: string }): void {
    if (audio.mimeType !== "audio/pcm;rate=16000") {
      session.socket.close(1007, `Unsupported audio mime type ${audio.mimeType}.`);
      return;
    }
    const bytes = Buffer.from(audio.data, "base64");
    const n = bytes.length >> 1;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = bytes.readInt16LE(i * 2) / 32768;
      sum += v * v;
    }
    const ms = (n * 1000) / 16000;
    this.audioInMs += ms;
    const voiced = n > 0 && Math.sqrt(sum / n) > this.#options.speechRms;
    if (voiced) {
      session.voicedMs += ms;
      session.silentMs = 0;
      if (!session.speaking && session.voicedMs >= 60) {
        session.speaking = true;
        const answering = session.answering;
        if (answering !== undefined && !answering.interrupted) {
          answering.interrupted = true;
          this.interruptions += 1;
          this.#send(session, { serverContent: { interrupted: true } });
        }
      }
    } else {
      session.voicedMs = 0;
      if (session.speaking) {
        session.silentMs += ms;
        if (session.silentMs >= this.#options.silenceMs) {
          session.speaking = false;
          session.silentMs = 0;
          void this.#answer(
            session,
            this.answers.shift() ?? { heard: "hello", text: "Hello! How can I help?" },
          );
        }
      }
    }
  }

  async #answer(session: SessionState, scripted: LiveAnswer | undefined): Promise<void> {
    const answer = scripted ?? this.answers.shift() ?? { text: "Hello! How can I help?" };
    const state = { interrupted: false };
    session.answering = state;
    if (answer.heard !== undefined) {
      this.#send(session, { serverContent: { inputTranscription: { text: answer.heard } } });
    }
    if (answer.toolCall !== undefined) {
      const id = `function-call-${Math.floor(Math.random() * 1e9)}`;
      const response = new Promise((resolve) => {
        session.pendingTool = resolve;
      });
      this.#send(session, {
        toolCall: { functionCalls: [{ id, name: answer.toolCall.name, args: answer.toolCall.args }] },
      });
      await response;
    }
    const words = answer.text.split(/\s+/).filter(Boolean);
    const audioMs = answer.audioMs ?? Math.max(400, words.length * 60);
    const chunkMs = 40;
    const chunks = Math.ceil(audioMs / chunkMs);
    const dropAfter = this.dropMidAnswerAfterChunks;
    if (dropAfter !== undefined) this.dropMidAnswerAfterChunks = undefined;
    let saidAny = false;
    for (let i = 0; i < chunks; i++) {
      if (state.interrupted || !session.socket.open) break;
      if (dropAfter !== undefined && i === dropAfter) {
        session.socket.drop();
        return;
      }
      const samples = Buffer.alloc(24 * chunkMs * 2);
      for (let s = 0; s < samples.length / 2; s++) {
        const t = (i * 24 * chunkMs + s) / 24000;
        samples.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 330 * t)), s * 2);
      }
      const wordsPerChunk = words.length / chunks;
      const said = words.slice(Math.round(i * wordsPerChunk), Math.round((i + 1) * wordsPerChunk));
      const before = saidAny;
      saidAny ||= said.length > 0;
      this.#send(session, {
        serverContent: {
          modelTurn: {
            parts: [{ inlineData: { mimeType: "audio/pcm;rate=24000", data: samples.toString("base64") } }],
          },
          ...(said.length > 0
            ? { outputTranscription: { text: `${before ? " " : ""}${said.join(" ")}` } }
            : {}),
        },
      });
      await new Promise((resolve) => setTimeout(resolve, chunkMs / this.#options.speedup));
    }
    if (session.answering === state) session.answering = undefined;
    if (state.interrupted || !session.socket.open) return;
    this.#send(session, { serverContent: { generationComplete: true } });
    this.#send(session, { serverContent: { turnComplete: true } });
    this.#send(session, {
      usageMetadata: { promptTokenCount: 120, responseTokenCount: 40, totalTokenCount: 160 },
    });
    this.#handleCount += 1;
    const handle = `fake-handle-${this.#handleCount}`;
    this.handles.add(handle);
    this.#send(session, { sessionResumptionUpdate: { newHandle: handle, resumable: true } });
  }
}
