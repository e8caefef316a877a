// Connect, first-byte and idle watchdogs: one timer at a time over a request or socket; when it
// fires, the work is aborted with a timeout error that names the option to raise.
import { ProviderError } from "@callwright/spec";
import { type Clock, systemClock, Timer } from "./clock.js";

export interface WatchdogOptions {
  /** Aborted, with the timeout error as its reason, when the watchdog fires. */
  controller: AbortController;
  provider: string;
  /** Who we were waiting on, for the message: "Deepgram", "the server at http://…". */
  where: string;
  /** The error's `code`. Default `<provider>_timeout`. */
  code?: string;
  clock?: Clock;
}

/** The error a fired watchdog raises: retryable, kind `timeout`, naming the option. */
export function timeoutError(options: {
  provider: string;
  where: string;
  what: string;
  timeoutMs: number;
  option: string;
  code?: string;
}): ProviderError {
  return new ProviderError(
    `${options.where} sent ${options.what} for ${options.timeoutMs} ms (option ${options.option}).`,
    {
      provider: options.provider,
      kind: "timeout",
      code: options.code ?? `${options.provider}_timeout`,
      retryable: true,
    },
  );
}

/**
 * `arm("no response headers", 15000, "firstByteTimeoutMs")` aborts the controller unless
 * `clear()` or another `arm()` comes within the time. Re-arm it on every chunk for an idle
 * timeout.
 */
export class Watchdog {
  readonly #options: WatchdogOptions;
  readonly #timer: Timer;
  #fired: ProviderError | undefined;

  constructor(options: WatchdogOptions) {
    this.#options = options;
    this.#timer = new Timer(options.clock ?? systemClock);
  }

  arm(what: string, timeoutMs: number, option: string): void {
    this.#timer.set(timeoutMs, () => {
      const { provider, where, code } = this.#options;
      this.#fired = timeoutError({
        provider,
        where,
        what,
        timeoutMs,
        option,
        ...(code === undefined ? {} : { code }),
      });
      this.#options.controller.abort(this.#fired);
    });
  }

  clear(): void {
    this.#timer.clear();
  }

  /** The timeout that aborted the work, if one did. */
  get fired(): ProviderError | undefined {
    return this.#fired;
  }
}
