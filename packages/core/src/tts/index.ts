// Text to speech: the model interface, and the wrapper that measures it.
export { meteredSynthesize, type TtsCallStats } from "./metered.js";
export type { TtsModel, TtsSynthesizeOptions } from "./types.js";
