import type { EventMap, TypedEmitter } from "@callwright/provider-utils";
import type { AgentEvents } from "../agent/agent.js";

/** Anything whose events can be listened to: an Agent, a launcher, a TypedEmitter. */
type Listenable<Events extends EventMap> = Pick<TypedEmitter<Events>, "on">;

/**
 * Resolves with the arguments of the next `event` for which `predicate` holds; rejects after
 * `timeoutMs` (default 5000) with a message naming the event, so a test fails instead of hanging.
 * ```ts
 * const [turn] = await nextEvent(agent, "metrics");
 * await nextEvent(agent, "agent_state", (state) => state === "listening");
 * ```
 */
export function nextEvent<E extends keyof AgentEvents>(
  agent: Listenable<AgentEvents>,
  event: E,
  predicate?: (...args: AgentEvents[E]) => boolean,
  options?: { timeoutMs?: number },
): Promise<AgentEvents[E]>;
export function nextEvent<Events extends EventMap, E extends keyof Events & string>(
  emitter: Listenable<Events>,
  event: E,
  predicate?: (...args: Events[E]) => boolean,
  options?: { timeoutMs?: number },
): Promise<Events[E]>;
export function nextEvent<Events extends EventMap, E extends keyof Events & string>(
  emitter: Listenable<Events>,
  event: E,
  predicate: (...args: Events[E]) => boolean = () => true,
  options: { timeoutMs?: number } = {},
): Promise<Events[E]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${event}' event matching the test's condition within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = emitter.on(event, (...args: Events[E]) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}
