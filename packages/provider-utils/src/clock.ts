/** An opaque timer handle from a `Clock`. */
export type TimerHandle = unknown;

/**
 * The monotonic clock and timers the voice loop uses. The default is `performance.now()` and
 * Node's timers; tests inject `FakeClock` (callwright/testing) to step time by hand.
 */
export interface Clock {
  /** Milliseconds on a monotonic clock (never `Date.now()`). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * One re-armable timer on a clock: `set` replaces the pending callback, `clear` cancels it. The
 * voice loop's components each own a few of these and clear them on close.
 */
export class Timer {
  readonly #clock: Clock;
  #handle: TimerHandle | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get pending(): boolean {
    return this.#handle !== undefined;
  }

  /** Runs `callback` at clock time `atMs` (at once, asynchronously, when that is past). */
  setAt(atMs: number, callback: () => void): void {
    this.set(atMs - this.#clock.now(), callback);
  }

  set(delayMs: number, callback: () => void): void {
    this.clear();
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = undefined;
      callback();
    }, delayMs);
  }

  clear(): void {
    if (this.#handle !== undefined) {
      this.#clock.clearTimeout(this.#handle);
      this.#handle = undefined;
    }
  }
}
