import type { EventMap, TypedEmitter } from "../events/index.js";

/**
 * Resolves with the arguments of the next `event` for which `predicate` holds; rejects after
 * `timeoutMs` (default 5000) with a message naming the event, so a test fails instead of hanging.
 */
export function nextEvent<Events extends EventMap, E extends keyof Events>(
  emitter: TypedEmitter<Events>,
  event: E,
  predicate: (...args: Events[E]) => boolean = () => true,
  options: { timeoutMs?: number } = {},
): Promise<Events[E]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${String(event)}' event matching the test's condition within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = emitter.on(event, (...args: Events[E]) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}
