// Errors: one base class with a stable `code`, a `cause`, and a fault kind, so callers can
// tell a user's mistake from a provider outage from our own bug without parsing messages.

/** Who is at fault: the user's input or configuration, this system, or an outside provider. */
export type FaultKind = "user" | "system" | "provider";

export interface CallwrightErrorOptions {
  code: string;
  fault?: FaultKind;
  cause?: unknown;
  /** True when retrying the same operation may succeed (a dropped socket, a 503, a 429). */
  retryable?: boolean;
}

export class CallwrightError extends Error {
  readonly code: string;
  readonly fault: FaultKind;
  readonly retryable: boolean;

  constructor(message: string, options: CallwrightErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CallwrightError";
    this.code = options.code;
    this.fault = options.fault ?? "system";
    this.retryable = options.retryable ?? false;
  }
}

/** A bad option or environment value; the message names it and says what is allowed. */
export class ConfigError extends CallwrightError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: "config_invalid", fault: "user", ...options });
    this.name = "ConfigError";
  }
}

/** A provider (LLM, STT, TTS, edge) failed; `retryable` says whether trying again may help. */
export class ProviderError extends CallwrightError {
  readonly provider: string;
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { provider: string; status?: number; retryable?: boolean; cause?: unknown; code?: string },
  ) {
    super(message, {
      code: options.code ?? "provider_error",
      fault: "provider",
      retryable: options.retryable ?? false,
      cause: options.cause,
    });
    this.name = "ProviderError";
    this.provider = options.provider;
    this.status = options.status;
  }
}

/**
 * An HTTP error a permission callable (or any route hook) throws to refuse a request.
 * The server answers with `statusCode` and `{"detail": detail}`.
 */
export class HttpError extends CallwrightError {
  readonly statusCode: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(statusCode: number, detail: unknown, headers: Record<string, string> = {}) {
    super(typeof detail === "string" ? detail : `HTTP ${statusCode}`, {
      code: `http_${statusCode}`,
      fault: statusCode < 500 ? "user" : "system",
    });
    this.name = "HttpError";
    this.statusCode = statusCode;
    this.detail = detail;
    this.headers = headers;
  }
}

/** Thrown by anything used after its `close()`. */
export class ClosedError extends CallwrightError {
  constructor(what: string) {
    super(`${what} is closed`, { code: "closed", fault: "user" });
    this.name = "ClosedError";
  }
}

/** True for the error an aborted AbortSignal produces (DOMException AbortError or our own). */
export function isAbortError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "AbortError" || (error as { code?: unknown }).code === "ABORT_ERR")
  );
}
