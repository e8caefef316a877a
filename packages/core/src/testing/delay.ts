import { abortError, type Clock, systemClock } from "@callwright/provider-utils";

/**
 * Waits `ms` on `clock` (resolves at once for 0); rejects with an AbortError when `signal`
 * aborts, clearing its timer so nothing is left pending.
 */
export function delay(ms: number, signal: AbortSignal, clock: Clock = systemClock): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortError(signal));
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
