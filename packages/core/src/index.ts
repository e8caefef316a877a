// callwright: real-time voice AI agents that join calls. The public API.

export {
  AsyncQueue,
  abortable,
  abortError,
  type Clock,
  type EventMap,
  type Listener,
  systemClock,
  Timer,
  type TimerHandle,
  TypedEmitter,
} from "@callwright/provider-utils";
export * from "./agent/index.js";
export * from "./audio/index.js";
export * from "./edge/index.js";
export * from "./errors/index.js";
export * from "./fallback/index.js";
export * from "./launcher/index.js";
export * from "./llm/index.js";
export * from "./log/index.js";
export * from "./metrics/index.js";
export * from "./observability/index.js";
export * from "./registry/index.js";
export * from "./runner/index.js";
export * from "./server/index.js";
export * from "./stt/index.js";
export * from "./tts/index.js";
export * from "./vad/index.js";
export * from "./voice/index.js";
