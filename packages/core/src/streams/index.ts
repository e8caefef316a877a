// Streams: the small async-iteration tools the voice loop and the providers' wrappers share
// (an async queue, iteration that stops on abort).
export { abortable, abortError } from "./abortable.js";
export { AsyncQueue } from "./async-queue.js";
