// @callwright/elevenlabs: text to speech with ElevenLabs. Replies stream in over its WebSocket as
// the LLM writes them (PCM and character timings out); single sentences over its HTTP stream.
export type { ElevenLabsErrorCode } from "./errors.js";
export {
  defaultTTSOptions,
  type ElevenLabsModelId,
  type ElevenLabsSampleRateHz,
  type StreamingMode,
  type TTSOptions,
  type TTSSettings,
  type VoiceSettings,
} from "./options.js";
export { createElevenLabs, type ElevenLabsProvider } from "./provider.js";
export { TTS } from "./tts.js";
