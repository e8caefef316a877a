// Fallback between providers: FallbackLLM, FallbackSTT and FallbackTTS take an ordered list of
// models, skip one that fails before its first output, probe it back in the background, and say
// which model served each call (docs/providers.md).
export type {
  FallbackEvents,
  FallbackMemberEvent,
  FallbackServedEvent,
} from "./health.js";
export { FallbackLLM, type FallbackLLMOptions, probeLlm } from "./llm.js";
export { defaultFallbackOptions, type FallbackOptions } from "./options.js";
export { SERVED_BY, type ServedBy, servedByOf } from "./served-by.js";
export { FallbackSTT, type FallbackSTTOptions, FallbackSttStream, MAX_REPLAY_MS, probeStt } from "./stt.js";
export { FallbackTTS, type FallbackTTSOptions, probeTts } from "./tts.js";
