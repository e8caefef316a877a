// @callwright/deepgram: speech to text with Deepgram's live streaming API (nova-3), spoken
// directly over its WebSocket: interim and final results, Finalize on flush, KeepAlive, reconnects.
export type { DeepgramErrorCode } from "./errors.js";
export { type DeepgramModelId, defaultSTTOptions, type STTOptions, type STTSettings } from "./options.js";
export { createDeepgram, type DeepgramProvider } from "./provider.js";
export { STT } from "./stt.js";
