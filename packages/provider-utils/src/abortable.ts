/** An AbortError, as `fetch` and Node streams throw it. */
export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  return new DOMException("The operation was aborted", "AbortError");
}

/**
 * Iterates `source` until it ends or `signal` aborts, whichever comes first: a provider that
 * ignores its signal cannot hold a cancelled turn hostage. On abort the source's `return()` is
 * called (its errors are ignored) and an AbortError is thrown.
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  if (signal.aborted) throw abortError(signal);
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {});
  let finished = false;
  try {
    for (;;) {
      const pending = iterator.next();
      // If the abort wins the race, a later rejection of `pending` must not go unhandled.
      pending.catch(() => {});
      const next = await Promise.race([pending, aborted]);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort!);
    if (!finished) {
      try {
        void Promise.resolve(iterator.return?.()).catch(() => {});
      } catch {
        // A source whose return() throws synchronously has nothing left to release.
      }
    }
  }
}
