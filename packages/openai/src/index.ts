// @callwright/openai: OpenAI-compatible chat completions (OpenAI, Ollama, llama.cpp, vLLM), streamed
// with tool calls and usage, retried before the first token, aborted at once on barge-in; and the
// OpenAI audio API (transcriptions, speech) for OpenAI and local speech servers that speak it.
export type { OpenAIAudioErrorCode } from "./audio/errors.js";
export type { OpenAIErrorCode } from "./errors.js";
export { LLM } from "./llm.js";
export { defaultLLMOptions, type LLMOptions, type LLMSettings, type OpenAIModelId } from "./options.js";
export { createOpenAI, type OpenAIProvider } from "./provider.js";
export { defaultSTTOptions, type OpenAISttModelId, STT, type STTOptions, type STTSettings } from "./stt.js";
export {
  defaultTTSOptions,
  type OpenAITtsModelId,
  type OpenAIVoice,
  TTS,
  type TTSOptions,
  type TTSSettings,
} from "./tts.js";
