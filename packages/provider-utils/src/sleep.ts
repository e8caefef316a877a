import { abortError } from "./abortable.js";
import { type Clock, systemClock } from "./clock.js";

/**
 * Waits `ms` on `clock` (resolves at once for 0 or less); rejects with an AbortError when
 * `signal` aborts, clearing its timer so nothing is left pending.
 */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortError(signal));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
