// Voice activity detection: the model interface (speech probability per frame).
export type { VadModel, VadStream, WarmupOptions } from "./types.js";
