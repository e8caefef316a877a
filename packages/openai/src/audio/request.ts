// One audio API request, retried before its answer starts: a connection that fails, headers that
// do not come within `firstByteTimeoutMs`, or a 408/409/429/5xx answer (waiting as long as
// `retry-after` asks) is tried again, within the retry options. The caller reads the body, with
// the returned watchdog re-armed per piece for the idle timeout; aborting the caller's signal
// closes the request.
import {
  decideRetry,
  gaveUp,
  type RetryOptions,
  retryAfterFromHeaders,
  sleep,
  Watchdog,
} from "@callwright/provider-utils";
import type { ProviderError } from "@callwright/spec";
import type { AudioKind } from "./endpoint.js";
import { audioConnectionError, audioHttpError } from "./errors.js";

export interface AudioRequest {
  kind: AudioKind;
  url: string;
  /** A fresh init per attempt (a multipart body cannot be sent twice). */
  init: () => RequestInit;
  signal: AbortSignal;
  where: string;
  firstByteTimeoutMs: number;
  retry: RetryOptions;
  onRetry?: (error: ProviderError, attempt: number, delayMs: number) => void;
}

export interface AudioResponse {
  response: Response;
  /** Aborts this request (the caller's signal does too). */
  controller: AbortController;
  watchdog: Watchdog;
}

/** The answer's headers (2xx), or throws the ProviderError of the last attempt; an abort throws the AbortError. */
export async function requestAudio(r: AudioRequest): Promise<AudioResponse> {
  const startedAt = performance.now();
  for (let attempt = 0; ; attempt += 1) {
    r.signal.throwIfAborted();
    const controller = new AbortController();
    const watchdog = new Watchdog({
      controller,
      provider: "openai",
      where: r.where,
      code: `${r.kind}_timeout`,
    });
    watchdog.arm("no response headers", r.firstByteTimeoutMs, "firstByteTimeoutMs");
    let error: ProviderError;
    try {
      const response = await fetch(r.url, {
        ...r.init(),
        signal: AbortSignal.any([r.signal, controller.signal]),
      });
      if (response.ok) return { response, controller, watchdog };
      let text = "";
      try {
        text = await response.text();
      } catch {
        r.signal.throwIfAborted();
      }
      watchdog.clear();
      error = audioHttpError(
        r.kind,
        response.status,
        response.statusText,
        text,
        r.where,
        retryAfterFromHeaders(response.headers),
      );
    } catch (failure) {
      watchdog.clear();
      r.signal.throwIfAborted();
      error = watchdog.fired ?? audioConnectionError(r.kind, failure, r.where);
    }
    const decision = decideRetry(error, attempt, performance.now() - startedAt, r.retry);
    if (!decision.retry) throw gaveUp(error, attempt + 1, decision.reason);
    r.onRetry?.(error, attempt + 1, decision.delayMs);
    await sleep(decision.delayMs, r.signal);
  }
}

/** Reads the next piece of a body, re-arming the idle watchdog; `undefined` at its end. */
export async function readPiece(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  watchdog: Watchdog,
  idleTimeoutMs: number,
): Promise<Uint8Array | undefined> {
  watchdog.arm("nothing", idleTimeoutMs, "idleTimeoutMs");
  try {
    const read = await reader.read();
    return read.done ? undefined : read.value;
  } finally {
    watchdog.clear();
  }
}
