// Maps any error a route raises to the answer FastAPI would give: `{"detail": ...}` with the
// right status. Client errors keep their status; anything unexpected is a 500 whose cause is
// logged and never sent.
import { CallwrightError, HttpError } from "../errors/index.js";
import { LauncherUnavailableError, SessionLimitError, SessionStartError } from "../launcher/errors.js";
import { RequestValidationError } from "./validation.js";

/** The detail of every 503 the session API answers. */
export const NOT_READY_DETAIL = "Server is not ready to accept requests";

export interface ErrorAnswer {
  statusCode: number;
  detail: unknown;
  headers?: Readonly<Record<string, string>>;
  /** True when the error is ours or unexpected: log it (with its cause) at error level. */
  log: boolean;
  /** True when the client went away mid-request: a client event, logged at debug without a stack. */
  clientGone?: boolean;
}

/** The client closed the connection before its request was complete (mid-body). */
function isClientHangUp(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "ECONNRESET" || code === "ECONNABORTED" || code === "EPIPE" || message === "aborted";
}

/** Logs an answered error where it belongs: ours at error level, a client's hang-up at debug. */
export function logAnswer(
  log: { error: (o: object, m: string) => void; debug: (o: object, m: string) => void },
  error: unknown,
  answer: ErrorAnswer,
): void {
  if (answer.clientGone) {
    const code = (error as { code?: unknown })?.code;
    log.debug(
      { code: typeof code === "string" ? code : undefined },
      "the client closed the connection mid-request",
    );
  } else if (answer.log) log.error({ err: error }, "request failed");
}

function isHttpError(error: unknown): error is HttpError {
  // A second copy of callwright (dual install) has its own class: accept the same shape.
  return (
    error instanceof HttpError ||
    (error instanceof Error &&
      error.name === "HttpError" &&
      typeof (error as { statusCode?: unknown }).statusCode === "number")
  );
}

export function answerFor(error: unknown, bodyLimitBytes: number): ErrorAnswer {
  if (isClientHangUp(error)) {
    return {
      statusCode: 400,
      detail: "The client closed the connection before the request was complete",
      log: false,
      clientGone: true,
    };
  }
  if (error instanceof RequestValidationError) return { statusCode: 422, detail: error.issues, log: false };
  if (isHttpError(error)) {
    const status = error.statusCode >= 400 && error.statusCode <= 599 ? error.statusCode : 500;
    return {
      statusCode: status,
      detail: error.detail ?? null,
      ...(error.headers === undefined ? {} : { headers: error.headers }),
      log: status >= 500,
    };
  }
  if (error instanceof SessionLimitError) return { statusCode: 429, detail: error.message, log: false };
  if (error instanceof LauncherUnavailableError)
    return { statusCode: 503, detail: NOT_READY_DETAIL, log: false };
  if (error instanceof SessionStartError)
    return { statusCode: 500, detail: "Failed to start agent", log: false };
  // The registry (Redis) is unreachable: a retryable outage, not a bug.
  if (error instanceof CallwrightError && error.code === "registry_unavailable") {
    return { statusCode: 503, detail: NOT_READY_DETAIL, log: true };
  }
  const fastify = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (
    typeof fastify.code === "string" &&
    fastify.code.startsWith("FST_") &&
    typeof fastify.statusCode === "number"
  ) {
    if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return {
        statusCode: 413,
        detail: `Request body is too large (limit ${bodyLimitBytes} bytes)`,
        log: false,
      };
    }
    if (fastify.statusCode >= 400 && fastify.statusCode < 500) {
      return { statusCode: fastify.statusCode, detail: String(fastify.message), log: false };
    }
  }
  return { statusCode: 500, detail: "Internal Server Error", log: true };
}
