// @callwright/gemini: Google's Gemini API. `gemini.LLM` streams `streamGenerateContent` over SSE
// with tools, usage and finish reasons, retries a 429 as its RetryInfo says before the first
// token, and aborts at once on barge-in. `gemini.Realtime` is the Live API (speech to speech).
export type { GeminiErrorCode } from "./errors.js";
export { LLM } from "./llm/llm.js";
export { defaultLLMOptions, type GeminiModelId, type LLMOptions, type LLMSettings } from "./llm/options.js";
export { createGemini, type GeminiProvider } from "./provider.js";
export {
  defaultActivityDetection,
  defaultRealtimeOptions,
  type GeminiActivityDetection,
  type GeminiLiveModelId,
  type RealtimeOptions,
  type RealtimeSettings,
} from "./realtime/options.js";
export { liveApiPath, Realtime } from "./realtime/realtime.js";
