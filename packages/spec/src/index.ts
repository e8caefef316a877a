// @callwright/spec: the interfaces a callwright plugin implements (VAD, STT, TTS, LLM, realtime, edge),
// the audio frame they exchange and the typed errors they raise. No runtime dependencies.

/** The version of the interfaces in this package; every model declares it as `specificationVersion`. */
export const SPECIFICATION_VERSION = "v1" as const;
export type SpecificationVersion = typeof SPECIFICATION_VERSION;

export {
  type AudioFrame,
  audioFrame,
  frameDurationMs,
  frameLength,
  frameRms,
  type Pcm16kMono,
  type Pcm48kMono,
} from "./audio.js";
export type {
  AgentState,
  AgentUiEvent,
  Call,
  Edge,
  EdgeConnection,
  EdgeConnectionEvents,
  EdgeHttpRoutes,
  EdgeJoinOptions,
  EdgeRoutesPlugin,
  Participant,
  TurnBreakdown,
} from "./edge.js";
export {
  CallwrightError,
  type CallwrightErrorOptions,
  ClosedError,
  ConfigError,
  type FaultKind,
  isAbortError,
  isCallwrightError,
  isRetryableKind,
  kindForStatus,
  ProviderError,
  type ProviderErrorKind,
  type ProviderErrorOptions,
  StateError,
} from "./errors.js";
export type {
  ChatImage,
  ChatMessage,
  LlmModel,
  LlmPart,
  LlmRequest,
  LlmStreamOptions,
  ToolCall,
  ToolSpec,
} from "./llm.js";
export type { LogFn, Logger, WarmupOptions } from "./log.js";
export {
  isRealtimeModel,
  type RealtimeConnectOptions,
  type RealtimeEvent,
  type RealtimeModel,
  type RealtimeResponseEnd,
  type RealtimeSession,
  type RealtimeToolResult,
} from "./realtime.js";
export type { SttModel, SttPart, SttStream, SttStreamOptions } from "./stt.js";
export type {
  TtsModel,
  TtsStreamOptions,
  TtsStreamPart,
  TtsSynthesizeOptions,
  TtsTextStream,
  TtsTiming,
} from "./tts.js";
export type { VadModel, VadStream } from "./vad.js";
export {
  type Processor,
  type ProcessorContext,
  type ProcessorInference,
  type ProcessorVideoOptions,
  type VideoFrame,
  type VideoPublication,
  type VideoPublishOptions,
  type VideoSource,
  type VideoState,
  type VideoSubscribeOptions,
  type VideoSubscription,
  videoFrame,
} from "./video.js";
