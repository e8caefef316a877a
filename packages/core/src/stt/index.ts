// Speech to text: the streaming model interface.
export type { SttModel, SttPart, SttStream, SttStreamOptions } from "./types.js";
