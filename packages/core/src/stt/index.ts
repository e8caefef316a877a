// Speech to text: the streaming model interface, and the wrapper that measures it.
export { type MeteredSttPart, MeteredSttStream } from "./metered.js";
export type { SttModel, SttPart, SttStream, SttStreamOptions } from "./types.js";
