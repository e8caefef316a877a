// Retry with exponential backoff, jitter and a total budget, honouring the wait a provider asks
// for. Only errors that say they are retryable (`retryable: true`) are tried again.
import { CallwrightError, ProviderError } from "@callwright/spec";
import { type Clock, systemClock } from "./clock.js";
import { sleep } from "./sleep.js";

export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** The first retry's delay, in ms; it doubles with each retry. */
  baseDelayMs: number;
  /** Longest wait before one retry, in ms. A provider asking for longer gets no retry. */
  maxDelayMs: number;
  /** All attempts and waits together, in ms: a retry whose wait would end past it is not made. */
  totalBudgetMs: number;
  /** Share of each backoff delay (0..1) randomly taken off, so clients that failed together spread out. */
  jitterRatio: number;
}

export const defaultRetryOptions = {
  maxRetries: 2,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  totalBudgetMs: 30_000,
  jitterRatio: 0.25,
} as const satisfies RetryOptions;

/** Whether to try again after a failure, and after how long. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** The backoff delay before retry number `retry` (0 for the first retry), jitter included. */
export function backoffDelayMs(
  retry: number,
  options: RetryOptions,
  random: () => number = Math.random,
): number {
  const delay = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return delay * (1 - random() * options.jitterRatio);
}

/** True for errors that say trying again may help (`retryable` on callwright's errors). */
export function isRetryable(error: unknown): boolean {
  return error instanceof CallwrightError && error.retryable;
}

/**
 * Decides about retry number `retry` (0 for the first) after `error`, `elapsedMs` into the
 * whole operation: not retryable, out of retries, a wait over `maxDelayMs`, or over the budget
 * all say no, with the reason.
 */
export function decideRetry(
  error: unknown,
  retry: number,
  elapsedMs: number,
  options: RetryOptions,
  random: () => number = Math.random,
): RetryDecision {
  const attempts = `gave up after ${retry + 1} attempts`;
  if (!isRetryable(error)) return { retry: false, reason: retry === 0 ? "not retryable" : attempts };
  if (retry >= options.maxRetries) return { retry: false, reason: attempts };
  const asked = error instanceof ProviderError ? error.retryAfterMs : undefined;
  const delayMs = asked ?? backoffDelayMs(retry, options, random);
  if (delayMs > options.maxDelayMs) {
    return {
      retry: false,
      reason: `the provider asked to wait ${Math.round(delayMs)} ms, longer than the longest retry delay (${options.maxDelayMs} ms)`,
    };
  }
  if (elapsedMs + delayMs > options.totalBudgetMs) {
    return { retry: false, reason: `the wait would overrun the retry budget (${options.totalBudgetMs} ms)` };
  }
  return { retry: true, delayMs };
}

/**
 * The error to report after retries stopped: the same kind and code, with why it stopped in the
 * message. A first attempt that was not worth retrying is reported as it is.
 */
export function gaveUp(error: unknown, attempts: number, reason: string): unknown {
  if (!(error instanceof ProviderError) || (attempts <= 1 && !error.retryable)) return error;
  return new ProviderError(`${error.message} (${reason})`, {
    provider: error.provider,
    kind: error.kind,
    ...(error.status === undefined ? {} : { status: error.status }),
    code: error.code,
    retryable: error.retryable,
    // What the provider asked still holds (a fallback uses it to rest the provider that long).
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    cause: error,
  });
}

export interface WithRetryOptions extends Partial<RetryOptions> {
  signal?: AbortSignal;
  clock?: Clock;
  random?: () => number;
  /** Told before each wait (log it). */
  onRetry?: (error: unknown, info: { attempt: number; delayMs: number }) => void;
}

/**
 * Runs `operation` (given the attempt number, 0 first) until it succeeds, an error is not worth
 * retrying, or the retries or budget run out; then throws the last error (see `gaveUp`). An
 * abort stops the wait at once.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: WithRetryOptions = {},
): Promise<T> {
  const { signal, clock = systemClock, random = Math.random, onRetry, ...rest } = options;
  const policy: RetryOptions = { ...defaultRetryOptions, ...rest };
  const startedAt = clock.now();
  for (let attempt = 0; ; attempt += 1) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      signal?.throwIfAborted();
      const decision = decideRetry(error, attempt, clock.now() - startedAt, policy, random);
      if (!decision.retry) throw gaveUp(error, attempt + 1, decision.reason);
      onRetry?.(error, { attempt: attempt + 1, delayMs: decision.delayMs });
      await sleep(decision.delayMs, signal, clock);
    }
  }
}
