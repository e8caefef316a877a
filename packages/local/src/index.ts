// @callwright/local: the zero-account stack. A browser WebRTC edge with a demo page, Silero VAD,
// pocketsphinx STT, flite/festival TTS and a clearly labelled offline responder.
export * from "./edge/index.js";
export * from "./llm/index.js";
export * from "./stt/index.js";
export * from "./tts/index.js";
export * from "./vad/index.js";
export * from "./vision/index.js";
