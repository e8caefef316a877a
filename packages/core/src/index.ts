// callwright: real-time voice AI agents that join calls. The public API, name by name: what an
// agent, a server and their tests are written with. Plugins build on @callwright/spec and
// @callwright/provider-utils; what is re-exported from them here is what agent code needs.
// `api/callwright.api.md` records this surface; a test fails when it changes unreviewed.

export { type Clock, readWav, resample, systemClock, writeWav } from "@callwright/provider-utils";
export type {
  AgentState,
  AgentUiEvent,
  AudioFrame,
  Call,
  CallwrightErrorOptions,
  ChatImage,
  ChatMessage,
  Edge,
  EdgeConnection,
  EdgeConnectionEvents,
  EdgeHttpRoutes,
  EdgeJoinOptions,
  EdgeRoutesPlugin,
  FaultKind,
  LlmModel,
  LlmPart,
  LlmRequest,
  LlmStreamOptions,
  Participant,
  Pcm16kMono,
  Pcm48kMono,
  Processor,
  ProcessorContext,
  ProcessorInference,
  ProcessorVideoOptions,
  ProviderErrorKind,
  ProviderErrorOptions,
  SttModel,
  SttPart,
  SttStream,
  SttStreamOptions,
  ToolCall,
  ToolSpec,
  TtsModel,
  TtsStreamOptions,
  TtsStreamPart,
  TtsSynthesizeOptions,
  TtsTextStream,
  TtsTiming,
  TurnBreakdown,
  VadModel,
  VadStream,
  VideoFrame,
  VideoPublication,
  VideoPublishOptions,
  VideoSource,
  VideoState,
  VideoSubscribeOptions,
  VideoSubscription,
  WarmupOptions,
} from "@callwright/spec";
export {
  audioFrame,
  CallwrightError,
  ClosedError,
  ConfigError,
  frameDurationMs,
  frameLength,
  frameRms,
  isAbortError,
  isCallwrightError,
  ProviderError,
  SPECIFICATION_VERSION,
  StateError,
  videoFrame,
} from "@callwright/spec";

// The agent
export {
  Agent,
  type AgentEvents,
  type AgentOptions,
  type CallSession,
  User,
  type UserOptions,
} from "./agent/index.js";
export { HttpError } from "./errors/index.js";
// Fallback between providers
export {
  defaultFallbackOptions,
  type FallbackEvents,
  FallbackLLM,
  type FallbackLLMOptions,
  type FallbackMemberEvent,
  type FallbackOptions,
  type FallbackServedEvent,
  FallbackSTT,
  type FallbackSTTOptions,
  FallbackTTS,
  type FallbackTTSOptions,
  type ServedBy,
  servedByOf,
} from "./fallback/index.js";
// Running agents: the launcher, the CLI runner, the HTTP server, the registry, observability
export {
  AgentLauncher,
  type AgentLauncherOptions,
  type CreateAgent,
  defaultLauncherOptions,
  type JoinCall,
  type LauncherEvents,
  type LauncherStats,
  LauncherUnavailableError,
  launcherOptionsFromEnv,
  type SessionEndedEvent,
  type SessionEndReason,
  type SessionInfo,
  type SessionLimitCode,
  SessionLimitError,
  type SessionMetrics,
  type SessionRejectedEvent,
  SessionStartError,
  type SessionStartedEvent,
  type UnavailableReason,
} from "./launcher/index.js";
export { type Tool, type ToolCallRecord, type ToolContext, tool, toolSpec } from "./llm/index.js";
export { type CreateLoggerOptions, createLogger, type Logger, silentLogger } from "./log/index.js";
export { type MetricName, MetricsCollector, type MetricsSnapshot } from "./metrics/index.js";
export {
  attachTelemetry,
  createPrometheusMetrics,
  defaultPrometheusMetricsOptions,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
  type TelemetryOptions,
} from "./observability/index.js";
export {
  defaultRedisRegistryOptions,
  MemoryRegistry,
  type MemoryRegistryOptions,
  RedisRegistry,
  type RedisRegistryOptions,
  RegistryUnavailableError,
  type ReserveResult,
  type SessionRecord,
  type SessionRegistry,
} from "./registry/index.js";
export { Runner, type RunnerOptions } from "./runner/index.js";
export {
  type BuildServerOptions,
  buildServer,
  type CallwrightRoutesOptions,
  callwrightRoutes,
  defaultServeOptions,
  type Permission,
  type PermissionContext,
  type ServeOptions,
  serveOptionsFromEnv,
} from "./server/index.js";
export { defaultEnergyVadOptions, EnergyVad, type EnergyVadOptions } from "./vad/index.js";
export { defaultVisionOptions, encodeJpeg, scaleFrame, type VisionOptions } from "./vision/index.js";
export {
  defaultEndpointingOptions,
  defaultErrorReplyText,
  defaultInterruptionOptions,
  defaultSttReconnectOptions,
  defaultVadOptions,
  defaultVoiceOptions,
  type EndOfTurnReason,
  type EndpointingOptions,
  type ErrorSource,
  type InterruptionOptions,
  type ReplyCancelReason,
  type ReplyOutcome,
  type SttReconnectOptions,
  type TranscriptEvent,
  type TurnDetector,
  type TurnDetectorInput,
  type VadOptions,
  type VoiceOptions,
  type VoiceOptionsInput,
} from "./voice/index.js";
