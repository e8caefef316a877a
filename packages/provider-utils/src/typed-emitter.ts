// Typed event emitter. Listeners are isolated: a throwing listener is reported through
// `onListenerError` and never breaks the emitter's caller (the voice loop, the launcher).

export type EventMap = { [event: string]: readonly unknown[] };
export type Listener<Args extends readonly unknown[]> = (...args: Args) => void;

export class TypedEmitter<Events extends EventMap> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
  readonly #onListenerError: (error: unknown, event: keyof Events) => void;

  constructor(onListenerError?: (error: unknown, event: keyof Events) => void) {
    this.#onListenerError =
      onListenerError ??
      ((error, event) => {
        queueMicrotask(() => {
          // Surface the bug without breaking the emitter: rethrown outside the loop's stack.
          const e = new Error(`listener for '${String(event)}' threw`, { cause: error });
          process.emitWarning(e);
        });
      });
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    const off = this.on(event, ((...args: Events[E]) => {
      off();
      listener(...args);
    }) as Listener<Events[E]>);
    return off;
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** Calls every listener of `event`; returns whether there was any. */
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return false;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[E]>)(...args);
      } catch (error) {
        this.#onListenerError(error, event);
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

/**
 * A class others listen to and only it emits to: `on`, `once`, `off` and `listenerCount` are
 * public, `emit` is protected (so callers cannot fake its events). Listener errors are isolated
 * as in TypedEmitter.
 */
export class Evented<Events extends EventMap> {
  readonly #emitter: TypedEmitter<Events>;

  constructor(onListenerError?: (error: unknown, event: keyof Events) => void) {
    this.#emitter = new TypedEmitter(onListenerError);
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    return this.#emitter.on(event, listener);
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    return this.#emitter.once(event, listener);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    this.#emitter.off(event, listener);
  }

  listenerCount(event: keyof Events): number {
    return this.#emitter.listenerCount(event);
  }

  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean {
    return this.#emitter.emit(event, ...args);
  }

  protected removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}
