import type { Clock, TimerHandle } from "@callwright/provider-utils";

interface FakeTimer {
  readonly id: number;
  readonly atMs: number;
  readonly callback: () => void;
}

/** Lets promises and their continuations run (a macrotask turn). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock that only moves when a test says so. Pass it as `clock` to the Agent (or any voice
 * component) to make endpointing delays and audio pacing deterministic and instant:
 * ```ts
 * const clock = new FakeClock();
 * const agent = new Agent({ edge, clock, ... });
 * await clock.advance(600); // fires every timer due in the next 600 ms, in order
 * expect(clock.pendingTimers).toBe(0);
 * ```
 */
export class FakeClock implements Clock {
  #nowMs: number;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(startMs = 1000) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, atMs: this.#nowMs + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Timers set and neither fired nor cleared: 0 after a clean close. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order; promises settle after each
   * timer, so async work a timer starts runs before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#nowMs + ms;
    await settle();
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers.values()) {
        if (
          t.atMs <= end &&
          (next === undefined || t.atMs < next.atMs || (t.atMs === next.atMs && t.id < next.id))
        ) {
          next = t;
        }
      }
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#nowMs = Math.max(this.#nowMs, next.atMs);
      next.callback();
      await settle();
    }
    this.#nowMs = end;
    await settle();
  }
}
