// @callwright/openai: OpenAI-compatible chat completions (OpenAI, Ollama, llama.cpp, vLLM), streamed
// with tool calls and usage, retried before the first token, aborted at once on barge-in.
export type { OpenAIErrorCode } from "./errors.js";
export { LLM } from "./llm.js";
export { defaultLLMOptions, type LLMOptions, type LLMSettings, type OpenAIModelId } from "./options.js";
export { createOpenAI, type OpenAIProvider } from "./provider.js";
