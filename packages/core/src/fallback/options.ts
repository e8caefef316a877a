// Options every fallback takes, with their defaults, and the checks shared by the three kinds.
import type { Clock } from "@callwright/provider-utils";
import { ConfigError } from "../errors/index.js";
import type { Logger } from "../log/index.js";

export interface FallbackOptions {
  /**
   * How often an unhealthy member is probed, ms (a 429 that asked for a longer wait is probed
   * after that wait instead). Each probe is one small real request (see `probe`).
   */
  probeIntervalMs: number;
  /** How long one probe may take before it counts as failed, ms. */
  probeTimeoutMs: number;
  /**
   * How long a member may take to its first output (LLM: first part; TTS: first audio; STT:
   * from a flush to its final) before the call moves on to the next member, ms.
   */
  firstOutputTimeoutMs: number;
  /** Where health changes are logged (WARN when a member fails, INFO when it is back). */
  logger: Logger | undefined;
  /** Timers of the probes; tests inject a FakeClock. */
  clock: Clock | undefined;
}

export const defaultFallbackOptions = {
  probeIntervalMs: 30_000,
  probeTimeoutMs: 10_000,
  firstOutputTimeoutMs: 10_000,
  logger: undefined,
  clock: undefined,
} as const satisfies FallbackOptions;

/** `{ ...defaults, ...given }` checked; `what` names the class in messages. */
export function resolveFallbackOptions(
  what: string,
  given: Partial<FallbackOptions>,
  members: readonly unknown[],
): FallbackOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const options: FallbackOptions = { ...defaultFallbackOptions, ...defined };
  if (!Array.isArray(members) || members.length === 0) {
    throw new ConfigError(`${what} needs a list of at least one model, first choice first`);
  }
  if (members.some((m) => m === null || typeof m !== "object")) {
    throw new ConfigError(`${what}: every entry of the list must be a model object`);
  }
  for (const name of ["probeIntervalMs", "probeTimeoutMs", "firstOutputTimeoutMs"] as const) {
    if (!(Number.isFinite(options[name]) && options[name] > 0)) {
      throw new ConfigError(`${what} option ${name} must be a positive number of milliseconds`);
    }
  }
  return options;
}
