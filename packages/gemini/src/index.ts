// @callwright/gemini: Google's Gemini API. `gemini.LLM` streams `streamGenerateContent` over SSE
// with tools, usage and finish reasons, retries a 429 as its RetryInfo says before the first
// token, and aborts at once on barge-in. (The Live API's realtime model will join it here.)
export type { GeminiErrorCode } from "./errors.js";
export { LLM } from "./llm/llm.js";
export { defaultLLMOptions, type GeminiModelId, type LLMOptions, type LLMSettings } from "./llm/options.js";
export { createGemini, type GeminiProvider } from "./provider.js";
