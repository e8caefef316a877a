// gemini.Realtime: the Live API (BidiGenerateContent over a WebSocket) as a RealtimeModel: 16 kHz
// PCM in, 24 kHz PCM out, transcripts both ways, tool calls, and session resumption so a call
// outlives the server's connection limit (`goAway`) and a dropped connection.
import {
  AsyncQueue,
  ProviderSocket,
  type SocketClose,
  type SocketMessage,
  sleep,
  webSocketUrl,
} from "@callwright/provider-utils";
import {
  type AudioFrame,
  audioFrame,
  type ChatImage,
  type ChatMessage,
  ProviderError,
  type ProviderErrorKind,
  type RealtimeConnectOptions,
  type RealtimeEvent,
  type RealtimeModel,
  type RealtimeSession,
  type RealtimeToolResult,
  type ToolSpec,
  type WarmupOptions,
} from "@callwright/spec";
import { type Connection, resolveConnection } from "../settings.js";
import { toGeminiSchema } from "../wire/schema.js";
import { type RealtimeOptions, type RealtimeSettings, resolveRealtimeOptions } from "./options.js";

const PROVIDER = "gemini";
const INPUT_RATE = 16000;
const OUTPUT_RATE = 24000;
/** Audio kept while a connection is replaced, at most (then the oldest is dropped), in ms. */
const OUTBOX_MS = 5000;

/** The Live API path under the base URL, for an API version. */
export function liveApiPath(apiVersion: string): string {
  return `/ws/google.ai.generativelanguage.${apiVersion}.GenerativeService.BidiGenerateContent`;
}

/**
 * Gemini's speech-to-speech model: `new Agent({ edge, llm: new gemini.Realtime({ voice: "Kore" }) })`.
 * Key from `apiKey`, `GOOGLE_API_KEY` or `GEMINI_API_KEY`; server from `baseUrl` or `GEMINI_BASE_URL`.
 */
export class Realtime implements RealtimeModel {
  readonly specificationVersion = "v1";
  readonly modelType = "realtime";
  readonly provider = PROVIDER;
  readonly modelId: string;
  readonly inputSampleRateHz = INPUT_RATE;
  readonly outputSampleRateHz = OUTPUT_RATE;
  readonly options: RealtimeOptions;
  /** What the agent sends of the call's video: `videoFps` stills a second (absent when 0). */
  readonly videoInput: { readonly fps: number } | undefined;
  readonly #connection: Connection;

  constructor(settings: RealtimeSettings = {}, env: NodeJS.ProcessEnv = process.env) {
    this.options = resolveRealtimeOptions(settings);
    this.modelId = this.options.model;
    this.videoInput = this.options.videoFps > 0 ? { fps: this.options.videoFps } : undefined;
    // From the settings, not the resolved options: their default base URL would hide GEMINI_BASE_URL.
    this.#connection = resolveConnection(settings, env, "gemini.Realtime");
  }

  async warmup(_options: WarmupOptions): Promise<void> {}

  async connect(options: RealtimeConnectOptions): Promise<RealtimeSession> {
    const session = new GeminiLiveSession(this.options, this.#connection, options);
    await session.start();
    return session;
  }
}

// ---- the wire ----

interface ServerMessage {
  setupComplete?: unknown;
  serverContent?: {
    modelTurn?: {
      parts?: { text?: string; thought?: boolean; inlineData?: { mimeType?: string; data?: string } }[];
    };
    turnComplete?: boolean;
    generationComplete?: boolean;
    interrupted?: boolean;
    inputTranscription?: { text?: string };
    outputTranscription?: { text?: string };
  };
  toolCall?: { functionCalls?: { id?: string; name?: string; args?: unknown }[] };
  toolCallCancellation?: { ids?: string[] };
  goAway?: { timeLeft?: string };
  sessionResumptionUpdate?: { newHandle?: string; resumable?: boolean };
  usageMetadata?: { promptTokenCount?: number; responseTokenCount?: number; candidatesTokenCount?: number };
}

/** Close codes the Live API uses: 1007 for a bad request (a bad key too), 1011 for its own failure. */
function closeKind(code: number, reason: string): ProviderErrorKind | "normal" | undefined {
  if (/api key|permission|unauthori[sz]ed|forbidden/i.test(reason)) return "auth";
  if (code === 1007) return "bad_request";
  if (/quota|resource.?exhausted|rate/i.test(reason)) return "rate_limit";
  return undefined;
}

function pcmFromBase64(data: string): Int16Array {
  const bytes = Buffer.from(data, "base64");
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}

function base64FromPcm(samples: Int16Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString("base64");
}

function declarations(tools: readonly ToolSpec[]) {
  return tools.map((tool) => {
    const { schema } = toGeminiSchema(tool.parameters);
    return {
      name: tool.name,
      description: tool.description,
      ...(schema === undefined ? {} : { parameters: schema }),
    };
  });
}

/** Earlier conversation as Live API turns (text only: tool calls are summarized by their results). */
function historyTurns(history: readonly ChatMessage[]) {
  const turns: { role: "user" | "model"; parts: { text: string }[] }[] = [];
  for (const m of history) {
    if ((m.role !== "user" && m.role !== "assistant") || m.content.trim() === "") continue;
    const role = m.role === "user" ? "user" : "model";
    const last = turns.at(-1);
    if (last?.role === role) last.parts.push({ text: m.content });
    else turns.push({ role, parts: [{ text: m.content }] });
  }
  return turns;
}

/** One Live API conversation, over one WebSocket at a time (replaced on `goAway` or a drop). */
class GeminiLiveSession implements RealtimeSession {
  readonly #options: RealtimeOptions;
  readonly #connection: Connection;
  readonly #connect: RealtimeConnectOptions;
  readonly #queue = new AsyncQueue<RealtimeEvent>();
  readonly #abort = new AbortController();
  #socket: ProviderSocket | undefined;
  #instructions: string;
  #tools: readonly ToolSpec[];
  /** The latest session resumption handle. */
  #handle: string | undefined;
  #replacing = false;
  #reconnects = 0;
  /** Audio sent while a connection is being replaced, to send on the new one. */
  #outbox: string[] = [];
  #responseId: string | undefined;
  #responses = 0;
  /** Answers whose audio is no longer wanted (cut or cancelled). */
  readonly #dropped = new Set<string>();
  #inputText = "";
  #inputItems = 0;
  #closed = false;

  constructor(options: RealtimeOptions, connection: Connection, connect: RealtimeConnectOptions) {
    this.#options = options;
    this.#connection = connection;
    this.#connect = connect;
    this.#instructions = connect.instructions;
    this.#tools = connect.tools;
    connect.signal.addEventListener("abort", () => void this.close(), { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<RealtimeEvent> {
    return this.#queue[Symbol.asyncIterator]();
  }

  async start(): Promise<void> {
    this.#socket = await this.#open(undefined);
    const turns = historyTurns(this.#connect.history ?? []);
    if (turns.length > 0) this.#socket.sendJson({ clientContent: { turns, turnComplete: false } });
  }

  pushAudio(frame: AudioFrame): void {
    if (this.#closed) return;
    const message = JSON.stringify({
      realtimeInput: {
        audio: { data: base64FromPcm(frame.samples), mimeType: `audio/pcm;rate=${frame.sampleRateHz}` },
      },
    });
    if (!this.#replacing && this.#socket?.send(message)) return;
    this.#outbox.push(message);
    const maxMessages = OUTBOX_MS / 20;
    if (this.#outbox.length > maxMessages) this.#outbox.splice(0, this.#outbox.length - maxMessages);
  }

  /** A JPEG still as `realtimeInput.video`; dropped (not queued) while the connection is being replaced. */
  pushImage(image: ChatImage): void {
    if (this.#closed || this.#replacing) return;
    this.#socket?.send(
      JSON.stringify({
        realtimeInput: {
          video: { data: Buffer.from(image.data).toString("base64"), mimeType: image.mediaType },
        },
      }),
    );
  }

  sendText(text: string): void {
    this.#send({ clientContent: { turns: [{ role: "user", parts: [{ text }] }], turnComplete: true } });
  }

  sendToolResult(result: RealtimeToolResult): void {
    let response: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(result.output);
      response =
        typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : { output: parsed };
    } catch {
      response = { output: result.output };
    }
    if (result.isError) response = { error: result.output };
    this.#send({ toolResponse: { functionResponses: [{ id: result.callId, name: result.name, response }] } });
  }

  /** The Live API has no cancel: the rest of the answer's audio is dropped here. */
  cancelResponse(): void {
    if (this.#responseId !== undefined) this.#dropped.add(this.#responseId);
  }

  /** The Live API keeps no played position: the rest of the answer's audio is dropped here. */
  truncate(responseId: string, _playedMs: number): void {
    this.#dropped.add(responseId);
  }

  /** The Live API takes the system instruction at setup only: it applies from the next connection. */
  updateInstructions(instructions: string): void {
    this.#instructions = instructions;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#queue.end();
    await socket?.close(1000, "");
  }

  // ---- connections ----

  #setup(handle: string | undefined) {
    const o = this.#options;
    const ad = o.activityDetection;
    const automaticActivityDetection: Record<string, unknown> = { disabled: ad.disabled };
    if (ad.startOfSpeechSensitivity !== undefined)
      automaticActivityDetection.startOfSpeechSensitivity = ad.startOfSpeechSensitivity;
    if (ad.endOfSpeechSensitivity !== undefined)
      automaticActivityDetection.endOfSpeechSensitivity = ad.endOfSpeechSensitivity;
    if (ad.prefixPaddingMs !== undefined) automaticActivityDetection.prefixPaddingMs = ad.prefixPaddingMs;
    if (ad.silenceDurationMs !== undefined)
      automaticActivityDetection.silenceDurationMs = ad.silenceDurationMs;
    return {
      model: `models/${o.model}`,
      generationConfig: {
        responseModalities: ["AUDIO"],
        speechConfig: {
          voiceConfig: { prebuiltVoiceConfig: { voiceName: o.voice } },
          ...(o.language === undefined ? {} : { languageCode: o.language }),
        },
        ...(o.temperature === undefined ? {} : { temperature: o.temperature }),
      },
      systemInstruction: { parts: [{ text: this.#instructions }] },
      ...(this.#tools.length > 0 ? { tools: [{ functionDeclarations: declarations(this.#tools) }] } : {}),
      realtimeInputConfig: { automaticActivityDetection },
      ...(o.inputTranscription ? { inputAudioTranscription: {} } : {}),
      ...(o.outputTranscription ? { outputAudioTranscription: {} } : {}),
      ...(o.sessionResumption ? { sessionResumption: handle === undefined ? {} : { handle } } : {}),
      ...(o.contextWindowCompression ? { contextWindowCompression: { slidingWindow: {} } } : {}),
    };
  }

  /** Opens a connection and waits for `setupComplete`; resolves with the socket, listened to. */
  async #open(handle: string | undefined): Promise<ProviderSocket> {
    const c = this.#connection;
    const url = webSocketUrl(c.baseUrl, liveApiPath(c.apiVersion), { key: c.apiKey });
    const socket = await ProviderSocket.connect(url, {
      provider: PROVIDER,
      where: c.where,
      headers: c.headers,
      connectTimeoutMs: this.#options.connectTimeoutMs,
      signal: this.#abort.signal,
      closeKind,
      refusalHint: (status) =>
        status === 400 || status === 401 || status === 403
          ? "Check GOOGLE_API_KEY or GEMINI_API_KEY (or the `apiKey` option)."
          : undefined,
    }).catch((error: unknown) => {
      // Google refuses a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID: an auth failure.
      if (
        error instanceof ProviderError &&
        error.kind === "bad_request" &&
        /API_KEY|API key/.test(error.message)
      ) {
        throw new ProviderError(error.message, {
          provider: PROVIDER,
          kind: "auth",
          code: "realtime_auth",
          ...(error.status === undefined ? {} : { status: error.status }),
          cause: error,
        });
      }
      throw error;
    });
    socket.sendJson({ setup: this.#setup(handle) });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        socket.terminate();
        reject(
          new ProviderError(
            `${c.where} did not answer the Live API setup within ${this.#options.setupTimeoutMs} ms (option setupTimeoutMs).`,
            { provider: PROVIDER, kind: "timeout", code: "realtime_timeout" },
          ),
        );
      }, this.#options.setupTimeoutMs);
      const offMessage = socket.on("message", (message) => {
        const parsed = this.#parse(message);
        if (parsed?.setupComplete === undefined) return;
        off();
        resolve();
      });
      const offClose = socket.on("close", (close) => {
        off();
        reject(
          close.error ??
            new ProviderError(
              `${c.where} closed the Live API connection during setup (code ${close.code}).`,
              {
                provider: PROVIDER,
                kind: "connection",
                code: "realtime_connection",
              },
            ),
        );
      });
      const off = () => {
        clearTimeout(timer);
        offMessage();
        offClose();
      };
    });
    socket.on("message", (message) => this.#onMessage(socket, message));
    socket.on("close", (close) => this.#onClose(socket, close));
    return socket;
  }

  /** Replaces the connection, resuming with the latest handle (a fresh session when there is none). */
  async #replace(reason: "go_away" | "dropped"): Promise<void> {
    if (this.#replacing || this.#closed) return;
    this.#replacing = true;
    const old = this.#socket;
    const handle = this.#options.sessionResumption ? this.#handle : undefined;
    for (;;) {
      if (this.#closed) return;
      if (reason === "dropped" || this.#reconnects > 0) {
        await sleep(this.#options.reconnectBaseDelayMs * 2 ** this.#reconnects, this.#abort.signal).catch(
          () => {},
        );
      }
      this.#reconnects += 1;
      try {
        const socket = await this.#open(handle);
        this.#socket = socket;
        this.#replacing = false;
        for (const message of this.#outbox.splice(0)) socket.send(message);
        if (old !== undefined && old !== socket) void old.close(1000, "");
        this.#queue.push({ type: "reconnected", resumed: handle !== undefined });
        return;
      } catch (error) {
        if (this.#closed) return;
        const kind = error instanceof ProviderError ? error.kind : "connection";
        if (kind === "auth" || kind === "bad_request" || this.#reconnects >= this.#options.maxReconnects) {
          this.#fail(error instanceof Error ? error : new Error(String(error)));
          return;
        }
      }
    }
  }

  #onClose(socket: ProviderSocket, close: SocketClose): void {
    if (this.#closed || socket !== this.#socket || this.#replacing) return;
    // An answer cut by the drop is over.
    this.#endResponse("error");
    if (close.error === undefined) {
      // The server ended the session normally: nothing more will come.
      this.#fail(
        new ProviderError(`${this.#connection.where} ended the Live API session (code ${close.code}).`, {
          provider: PROVIDER,
          kind: "connection",
          code: "realtime_connection",
        }),
      );
      return;
    }
    const kind = close.error.kind;
    if (kind === "auth" || kind === "bad_request" || this.#options.maxReconnects === 0) {
      this.#fail(close.error);
      return;
    }
    this.#queue.push({ type: "error", error: close.error, recoverable: true });
    void this.#replace("dropped");
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#queue.push({ type: "error", error, recoverable: false });
    void this.close();
  }

  #send(value: unknown): void {
    if (this.#closed) return;
    const text = JSON.stringify(value);
    if (!this.#replacing && this.#socket?.send(text)) return;
    this.#outbox.push(text);
  }

  #parse(message: SocketMessage): ServerMessage | undefined {
    const text = message.binary ? Buffer.from(message.data).toString("utf8") : message.data;
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === "object" && value !== null ? (value as ServerMessage) : undefined;
    } catch {
      return undefined;
    }
  }

  // ---- server messages ----

  #onMessage(socket: ProviderSocket, raw: SocketMessage): void {
    if (this.#closed || socket !== this.#socket) return;
    const message = this.#parse(raw);
    if (message === undefined) {
      this.#queue.push({
        type: "error",
        error: new ProviderError(`${this.#connection.where} sent a message that is not JSON.`, {
          provider: PROVIDER,
          kind: "protocol",
          code: "realtime_bad_message",
        }),
        recoverable: true,
      });
      return;
    }
    if (message.sessionResumptionUpdate?.resumable && message.sessionResumptionUpdate.newHandle) {
      this.#handle = message.sessionResumptionUpdate.newHandle;
    }
    const content = message.serverContent;
    if (content !== undefined) this.#onContent(content);
    for (const call of message.toolCall?.functionCalls ?? []) {
      const responseId = this.#currentResponse();
      this.#queue.push({
        type: "tool_call",
        responseId,
        id: call.id ?? `call_${this.#responses}`,
        name: call.name ?? "",
        arguments: JSON.stringify(call.args ?? {}),
      });
    }
    const usage = message.usageMetadata;
    if (usage !== undefined) {
      this.#queue.push({
        type: "usage",
        inputTokens: usage.promptTokenCount ?? 0,
        outputTokens: usage.responseTokenCount ?? usage.candidatesTokenCount ?? 0,
      });
    }
    if (message.goAway !== undefined) {
      this.#reconnects = 0;
      void this.#replace("go_away");
    }
  }

  #onContent(content: NonNullable<ServerMessage["serverContent"]>): void {
    const input = content.inputTranscription?.text;
    if (input) {
      if (this.#inputText === "") this.#inputItems += 1;
      this.#inputText += input;
      this.#queue.push({
        type: "input_transcript",
        itemId: `in_${this.#inputItems}`,
        text: this.#inputText,
        final: false,
      });
    }
    if (content.interrupted) {
      this.#finishInput();
      this.#queue.push({ type: "speech_started" });
      this.#endResponse("interrupted");
    }
    for (const part of content.modelTurn?.parts ?? []) {
      const data = part.inlineData?.data;
      if (data === undefined || !part.inlineData?.mimeType?.startsWith("audio/pcm")) continue;
      const responseId = this.#currentResponse();
      if (this.#dropped.has(responseId)) continue;
      const rate = /rate=(\d+)/.exec(part.inlineData.mimeType)?.[1];
      this.#queue.push({
        type: "audio",
        responseId,
        frame: audioFrame(pcmFromBase64(data), rate === undefined ? OUTPUT_RATE : Number(rate)),
      });
    }
    const output = content.outputTranscription?.text;
    if (output) {
      const responseId = this.#currentResponse();
      if (!this.#dropped.has(responseId))
        this.#queue.push({ type: "output_transcript", responseId, delta: output });
    }
    if (content.turnComplete) {
      this.#finishInput();
      this.#endResponse("completed");
      this.#reconnects = 0;
    }
  }

  #currentResponse(): string {
    if (this.#responseId === undefined) {
      this.#finishInput();
      this.#responses += 1;
      this.#responseId = `gemini_resp_${this.#responses}`;
      this.#queue.push({ type: "response_started", responseId: this.#responseId });
    }
    return this.#responseId;
  }

  #endResponse(reason: "completed" | "interrupted" | "error"): void {
    const id = this.#responseId;
    if (id === undefined) return;
    this.#responseId = undefined;
    this.#queue.push({
      type: "response_done",
      responseId: id,
      reason: this.#dropped.has(id) && reason === "completed" ? "cancelled" : reason,
    });
  }

  /** The user's words so far are final (the model answers them). */
  #finishInput(): void {
    if (this.#inputText === "") return;
    this.#queue.push({
      type: "input_transcript",
      itemId: `in_${this.#inputItems}`,
      text: this.#inputText,
      final: true,
    });
    this.#inputText = "";
  }
}
