// Speech to text: the streaming model interface, and the wrapper that measures it.

export type { SttModel, SttPart, SttStream, SttStreamOptions } from "@callwright/spec";
export { type MeteredSttPart, MeteredSttStream } from "./metered.js";
