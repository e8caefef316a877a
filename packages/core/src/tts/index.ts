// Text to speech: the model interface.
export type { TtsModel, TtsSynthesizeOptions } from "./types.js";
