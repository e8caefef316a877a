// launcher slots: how many sessions this node has admitted and not yet fully ended (starting,
// running or closing), what its capacity limit counts, and waiting for none to be left (drain).
export class Slots {
  /** Admitted and not yet fully ended: starting + running + closing. */
  #occupied = 0;
  readonly #emptyWaiters = new Set<() => void>();
  /** Aborted when the launcher stops: every wait ends at once. */
  readonly #signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  get occupied(): number {
    return this.#occupied;
  }

  /** Holds a slot for an admitted session. */
  take(): void {
    this.#occupied += 1;
  }

  /** Frees a slot; the last one wakes whoever waits for the node to empty. */
  release(): void {
    this.#occupied -= 1;
    if (this.#occupied === 0) {
      for (const wake of [...this.#emptyWaiters]) wake();
    }
  }

  /** Resolves when no session is admitted, after `timeoutMs`, or when `stop()` is called. */
  whenEmpty(timeoutMs: number): Promise<void> {
    if (this.#occupied === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const signal = this.#signal;
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.#emptyWaiters.delete(done);
        signal.removeEventListener("abort", done);
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#emptyWaiters.add(done);
      if (Number.isFinite(timeoutMs)) {
        signal.addEventListener("abort", done);
        timer = setTimeout(done, timeoutMs);
      }
    });
  }
}
