// Speech-to-speech models (Gemini Live, OpenAI Realtime): one session hears the user's audio and
// speaks back; events out as a tagged union. The core paces the audio and handles barge-in.
import type { AudioFrame } from "./audio.js";
import type { ChatImage, ChatMessage, ToolCall, ToolSpec } from "./llm.js";
import type { WarmupOptions } from "./log.js";

export interface RealtimeConnectOptions {
  /** The system prompt. */
  instructions: string;
  /** Functions the model may call; the core runs them and answers with `sendToolResult`. */
  tools: readonly ToolSpec[];
  /** Earlier conversation the model should know (a session that reconnects from scratch). */
  history?: readonly ChatMessage[];
  /** Aborting it closes the session. */
  signal: AbortSignal;
}

/** Why a response ended. */
export type RealtimeResponseEnd = "completed" | "interrupted" | "cancelled" | "error";

/**
 * What a realtime session yields. `responseId` ties audio, transcripts and tool calls to one
 * answer of the model. An error mid-session is a part; `recoverable: false` ends the session.
 */
export type RealtimeEvent =
  /** The model started an answer. */
  | { type: "response_started"; responseId: string }
  /** Mono PCM of the answer, any length, at the model's `outputSampleRateHz`. */
  | { type: "audio"; responseId: string; frame: AudioFrame }
  /** What the model is saying, as text: `delta` is new text, in order. */
  | { type: "output_transcript"; responseId: string; delta: string }
  /** What the user said: `text` is the whole utterance so far; `final` once it will not change. */
  | { type: "input_transcript"; itemId: string; text: string; final: boolean }
  /**
   * The model's own voice detection heard the user start speaking (OpenAI's
   * `input_audio_buffer.speech_started`, Gemini's `interrupted`): the core stops the agent's audio.
   */
  | { type: "speech_started" }
  /** The model's voice detection heard the user stop (optional: Gemini does not say). */
  | { type: "speech_stopped" }
  /** The model wants a tool run; answer with `sendToolResult`. */
  | ({ type: "tool_call"; responseId: string } & ToolCall)
  /** The answer is over (all its audio was yielded). */
  | { type: "response_done"; responseId: string; reason: RealtimeResponseEnd }
  /** Token counts the provider reported for an answer (or cumulatively for the session). */
  | { type: "usage"; inputTokens: number; outputTokens: number }
  /** The provider's connection was replaced (a `goAway`, a drop) and the session resumed. */
  | { type: "reconnected"; resumed: boolean }
  | { type: "error"; error: Error; recoverable: boolean };

/** A tool's answer, as the model will see it. */
export interface RealtimeToolResult {
  callId: string;
  name: string;
  /** What the tool returned, as text (JSON unless it returned a string). */
  output: string;
  isError?: boolean;
}

/**
 * One live conversation with a speech-to-speech model. Audio goes in with `pushAudio`, events
 * come out of the async iterator, which ends after `close()` or a fatal error.
 */
export interface RealtimeSession extends AsyncIterable<RealtimeEvent> {
  /** Mono PCM at the model's `inputSampleRateHz`, in real time. Never blocks. */
  pushAudio(frame: AudioFrame): void;
  /** A user message as text; the model answers it. */
  sendText(text: string): void;
  /**
   * A still of a participant's video (JPEG), for a model that sees: the agent sends about
   * `videoInput.fps` of them while a camera or screen share is on. Absent: the model is blind.
   */
  pushImage?(image: ChatImage): void;
  /** The result of a `tool_call`; the model goes on with its answer when all are in. */
  sendToolResult(result: RealtimeToolResult): void;
  /** Stops the current answer (no more audio for it). */
  cancelResponse(): void;
  /**
   * The user heard only `playedMs` of answer `responseId` (a barge-in): the model forgets the
   * rest. A provider without server-side truncation drops the rest of the audio only.
   */
  truncate(responseId: string, playedMs: number): void;
  /** New system prompt, from the next answer on. */
  updateInstructions(instructions: string): void;
  /** Ends the session; idempotent. */
  close(): Promise<void>;
}

/** A speech-to-speech model: what `new Agent({ llm })` runs without STT, TTS or VAD. */
export interface RealtimeModel {
  readonly specificationVersion: "v1";
  /** Tells a realtime model from an `LlmModel` handed to the same `llm` option. */
  readonly modelType: "realtime";
  readonly provider: string;
  readonly modelId: string;
  /** Rate `pushAudio` wants, e.g. 16000. */
  readonly inputSampleRateHz: number;
  /** Rate of the audio the model yields, e.g. 24000. */
  readonly outputSampleRateHz: number;
  /** Frames per second the model wants of the call's video (its sessions take `pushImage`); absent: none. */
  readonly videoInput?: { readonly fps: number } | undefined;
  warmup?(options: WarmupOptions): Promise<void>;
  /** Opens a session; rejects with a ProviderError when the provider refuses (bad key...). */
  connect(options: RealtimeConnectOptions): Promise<RealtimeSession>;
  close?(): Promise<void>;
}

/** True for a `RealtimeModel` (an `llm` option may hold either kind). */
export function isRealtimeModel(model: unknown): model is RealtimeModel {
  return (
    typeof model === "object" && model !== null && (model as { modelType?: unknown }).modelType === "realtime"
  );
}
