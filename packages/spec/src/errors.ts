// Errors: one base class with a stable `code`, a `cause`, and a fault kind, so callers can tell
// a user's mistake from a provider outage from our own bug without parsing messages. Class
// checks go through a brand registered with `Symbol.for`, so `instanceof` agrees across two
// copies of this package (a plugin built against another install of the spec).

/** Who is at fault: the user's input or configuration, this system, or an outside provider. */
export type FaultKind = "user" | "system" | "provider";

export interface CallwrightErrorOptions {
  code: string;
  fault?: FaultKind;
  cause?: unknown;
  /** True when retrying the same operation may succeed (a dropped socket, a 503, a 429). */
  retryable?: boolean;
}

const BRANDS = Symbol.for("callwright.error.brands");

type Branded = { readonly [BRANDS]?: readonly string[] };

/** The brands of `target` and of every class it extends (each class that declares its own). */
function brandsOf(target: unknown): string[] {
  const brands: string[] = [];
  for (let c = target; typeof c === "function" && c !== Error; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(c, "brand")) brands.push((c as unknown as { brand: string }).brand);
  }
  return brands;
}

/** `value instanceof cls`, by brand when `cls` declares one, else by its prototype chain. */
function isBranded(cls: unknown, value: unknown): boolean {
  if (!Object.hasOwn(cls as object, "brand")) return Function.prototype[Symbol.hasInstance].call(cls, value);
  const brands = (value as Branded | null | undefined)?.[BRANDS];
  return Array.isArray(brands) && brands.includes((cls as { brand: string }).brand);
}

export class CallwrightError extends Error {
  /** The name the brand check uses; each subclass that wants its own `instanceof` declares one. */
  static readonly brand: string = "callwright.CallwrightError";

  /**
   * `error instanceof X` is true for any error branded X, from whichever copy of the package made
   * it. A subclass without a brand of its own falls back to the prototype chain.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about (a subclass too)
    return isBranded(this, value);
  }

  readonly code: string;
  readonly fault: FaultKind;
  readonly retryable: boolean;

  constructor(message: string, options: CallwrightErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, BRANDS, { value: brandsOf(new.target), enumerable: false });
    this.name = "CallwrightError";
    this.code = options.code;
    this.fault = options.fault ?? "system";
    this.retryable = options.retryable ?? false;
  }
}

/** True for a CallwrightError from any copy of the package. */
export function isCallwrightError(error: unknown): error is CallwrightError {
  return error instanceof CallwrightError;
}

/** A bad option or environment value; the message names it and says what is allowed. */
export class ConfigError extends CallwrightError {
  static override readonly brand: string = "callwright.ConfigError";

  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { code: options.code ?? "config_invalid", fault: "user", cause: options.cause });
    this.name = "ConfigError";
  }
}

/**
 * What kind of provider failure this is, which decides whether to retry:
 * - `auth`: the key is missing, wrong or lacks a permission (not retryable)
 * - `rate_limit`: 429 or a quota answer (retryable, after the wait the provider asks for)
 * - `timeout`: a connect, first-byte or idle watchdog fired (retryable)
 * - `connection`: the socket could not be opened or broke (retryable)
 * - `server`: the provider's own failure, 5xx (retryable)
 * - `bad_request`: the provider refused what we sent, 4xx (not retryable)
 * - `protocol`: the provider sent something we cannot read (not retryable)
 */
export type ProviderErrorKind =
  | "auth"
  | "rate_limit"
  | "timeout"
  | "connection"
  | "server"
  | "bad_request"
  | "protocol";

const RETRYABLE_KINDS: ReadonlySet<ProviderErrorKind> = new Set([
  "rate_limit",
  "timeout",
  "connection",
  "server",
]);

/** True for the kinds worth another attempt. */
export function isRetryableKind(kind: ProviderErrorKind): boolean {
  return RETRYABLE_KINDS.has(kind);
}

export interface ProviderErrorOptions {
  provider: string;
  /** Default: from the HTTP status when given (401/403 auth, 429 rate_limit, 5xx server...), else `server`. */
  kind?: ProviderErrorKind;
  /** HTTP status, or WebSocket close code, the provider answered with. */
  status?: number;
  /** Default: from `kind` (or `status`); false when neither is given. */
  retryable?: boolean;
  cause?: unknown;
  /** Default `provider_error` (`kind` is the classification; `code` is the plugin's own name). */
  code?: string;
  /** How long the provider asked us to wait before trying again (Retry-After, RetryInfo). */
  retryAfterMs?: number;
}

/** The kind an HTTP status means. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 429) return "rate_limit";
  if (status === 408) return "timeout";
  if (status >= 500) return "server";
  return "bad_request";
}

/** A provider (LLM, STT, TTS, edge) failed; `kind` and `retryable` say whether trying again may help. */
export class ProviderError extends CallwrightError {
  static override readonly brand: string = "callwright.ProviderError";
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ProviderErrorOptions) {
    const kind = options.kind ?? (options.status !== undefined ? kindForStatus(options.status) : "server");
    // With nothing to go on (no kind, no status), an error is not assumed worth retrying.
    const known = options.kind !== undefined || options.status !== undefined;
    super(message, {
      code: options.code ?? "provider_error",
      fault: "provider",
      retryable: options.retryable ?? (known && (isRetryableKind(kind) || options.status === 409)),
      cause: options.cause,
    });
    this.name = "ProviderError";
    this.provider = options.provider;
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Thrown by anything used after its `close()`. */
export class ClosedError extends CallwrightError {
  static override readonly brand: string = "callwright.ClosedError";

  constructor(what: string) {
    super(`${what} is closed`, { code: "closed", fault: "user" });
    this.name = "ClosedError";
  }
}

/** Misuse of an object in its current state: a push after end, a second join. */
export class StateError extends CallwrightError {
  static override readonly brand: string = "callwright.StateError";

  constructor(message: string, options: { code?: string } = {}) {
    super(message, { code: options.code ?? "invalid_state", fault: "user" });
    this.name = "StateError";
  }
}

/** True for the error an aborted AbortSignal produces (DOMException AbortError or our own). */
export function isAbortError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "AbortError" || (error as { code?: unknown }).code === "ABORT_ERR")
  );
}
