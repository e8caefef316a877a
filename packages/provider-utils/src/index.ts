// @callwright/provider-utils: what every provider plugin shares, tested once: retry with
// backoff, jitter and a budget; watchdogs; abortable sleep; an SSE reader; a WebSocket client;
// typed provider errors; keys and base URLs from the environment; async queues and emitters;
// audio resampling, framing and WAV files.
export { abortable, abortError } from "./abortable.js";
export { AsyncQueue } from "./async-queue.js";
export { type Clock, systemClock, Timer, type TimerHandle } from "./clock.js";
export { type ApiKeySource, apiKeyFrom, baseUrlFrom, requireApiKey, webSocketUrl } from "./env.js";
export { Framer, type FramerOptions } from "./framer.js";
export {
  causeText,
  connectionError,
  describeErrorBody,
  type StatusErrorOptions,
  statusError,
} from "./http-errors.js";
export { toMono } from "./mono.js";
export {
  defaultResamplerQualityOptions,
  Resampler,
  type ResamplerOptions,
  type ResamplerQualityOptions,
  resample,
} from "./resample.js";
export {
  backoffDelayMs,
  decideRetry,
  defaultRetryOptions,
  gaveUp,
  isRetryable,
  type RetryDecision,
  type RetryOptions,
  type WithRetryOptions,
  withRetry,
} from "./retry.js";
export { parseDurationMs, retryAfterFromGoogleError, retryAfterFromHeaders } from "./retry-after.js";
export { sleep } from "./sleep.js";
export { readSseEvents, SseDecoder, type SseEvent } from "./sse.js";
export { Evented, type EventMap, type Listener, TypedEmitter } from "./typed-emitter.js";
export { timeoutError, Watchdog, type WatchdogOptions } from "./watchdog.js";
export { readWav, writeWav } from "./wav.js";
export {
  defaultCloseKind,
  ProviderSocket,
  type ProviderSocketEvents,
  type ProviderSocketOptions,
  type SocketClose,
  type SocketMessage,
} from "./websocket.js";
