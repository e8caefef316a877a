// stt: offline speech-to-text with CMU pocketsphinx (Debian), in process, one decoder pool shared
// by every session so memory follows concurrent utterances, not sessions.
export type { DecoderPoolStats } from "./decoder-pool.js";
export { pocketsphinxInstallHint } from "./pocketsphinx.js";
export { defaultPocketsphinxSttOptions, type PocketsphinxSttOptions, STT } from "./stt.js";
