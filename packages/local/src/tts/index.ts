// tts: offline text-to-speech with Debian's flite (default) or festival, one child process per
// sentence, first audio as soon as the engine writes it.
export type { TtsEngine } from "./engines.js";
export { defaultLocalTtsOptions, type LocalTtsOptions, TTS } from "./local-tts.js";
