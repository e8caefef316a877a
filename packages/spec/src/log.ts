// The logger a plugin is handed (at warm-up, at join): the structural subset of pino that
// callwright passes around, so a plugin needs no logging library of its own.

/** `log.info({ key: value }, "message")` or `log.info("message")`. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** A logger whose every line carries `bindings` as well (e.g. `{ session_id }`). */
  child(bindings: Record<string, unknown>): Logger;
  /** The fields this logger adds to every line. */
  bindings(): Record<string, unknown>;
}

/** Options every provider's `warmup()` gets. */
export interface WarmupOptions {
  signal?: AbortSignal;
  logger?: Logger;
}
