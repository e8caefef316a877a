// Text to speech: the model interface, and the wrapper that measures it.

export type { TtsModel, TtsSynthesizeOptions } from "@callwright/spec";
export { meteredSynthesize, type TtsCallStats } from "./metered.js";
