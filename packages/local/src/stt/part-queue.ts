// An unbounded single-consumer queue exposed as an async iterator: the recogniser pushes parts,
// the voice loop reads them. Parts already queued are still read after `close()`.

export class PartQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  readonly #onReturn: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #closed = false;

  /** `onReturn` runs when the reader stops early, so the producer can stop too. */
  constructor(options: { onReturn?: () => void } = {}) {
    this.#onReturn = options.onReturn;
  }

  push(item: T): void {
    if (this.#closed) return;
    this.#items.push(item);
    this.#notify();
  }

  /** No more items: the iterator ends once the queued ones are read. */
  close(): void {
    this.#closed = true;
    this.#notify();
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) return { value: item, done: false };
      if (this.#closed) return { value: undefined, done: true };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** The reader stopped early (`break` out of `for await`). */
  async return(): Promise<IteratorResult<T>> {
    this.#closed = true;
    this.#items.length = 0;
    this.#notify();
    this.#onReturn?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
