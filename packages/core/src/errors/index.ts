// Errors: the spec's typed errors (one base class with a stable `code`, a `cause`, and a fault
// kind), and the HTTP error a route hook throws to refuse a request.
import { CallwrightError } from "@callwright/spec";

export {
  CallwrightError,
  type CallwrightErrorOptions,
  ClosedError,
  ConfigError,
  type FaultKind,
  isAbortError,
  isCallwrightError,
  ProviderError,
  type ProviderErrorKind,
  type ProviderErrorOptions,
  StateError,
} from "@callwright/spec";

/**
 * An HTTP error a permission callable (or any route hook) throws to refuse a request.
 * The server answers with `statusCode` and `{"detail": detail}`.
 */
export class HttpError extends CallwrightError {
  static override readonly brand: string = "callwright.HttpError";
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
