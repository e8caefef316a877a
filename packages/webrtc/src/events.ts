// A small typed event emitter for the media pieces. A throwing listener is reported (as a process
// warning) and never breaks the caller, which is usually a native callback from libdatachannel.

export type Listener<Args extends readonly unknown[]> = (...args: Args) => void;
export type EventMap = { [event: string]: readonly unknown[] };

export class Emitter<Events extends EventMap> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      this.#listeners.get(event)?.delete(listener as Listener<never>);
    };
  }

  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return false;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[E]>)(...args);
      } catch (error) {
        queueMicrotask(() =>
          process.emitWarning(new Error(`listener for '${String(event)}' threw`, { cause: error })),
        );
      }
    }
    return true;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
