// What went wrong talking to an OpenAI-compatible server, as ProviderErrors with stable codes and
// messages that say what to do; and what the server said about when to try again.
import { ProviderError } from "callwright";

const PROVIDER = "openai";

/** Stable `code`s of the errors this plugin raises. */
export type OpenAIErrorCode =
  | "llm_auth"
  | "llm_rate_limited"
  | "llm_bad_request"
  | "llm_server_error"
  | "llm_timeout"
  | "llm_connection"
  | "llm_stream_interrupted"
  | "llm_stream_error"
  | "llm_bad_response";

/** True for statuses worth another attempt (as OpenAI's own SDKs decide). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** `{"error": {"message", "type", "code"}}` (or `{"error": "text"}`) read from a body. */
export function describeErrorBody(bodyText: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    const text = bodyText.trim();
    return text === "" ? undefined : text.slice(0, 300);
  }
  const error = (parsed as { error?: unknown } | null)?.error ?? parsed;
  if (typeof error === "string") return error;
  if (error === null || typeof error !== "object") return undefined;
  const { message, type, code } = error as { message?: unknown; type?: unknown; code?: unknown };
  const details = [
    typeof type === "string" ? `type ${type}` : undefined,
    typeof code === "string" || typeof code === "number" ? `code ${code}` : undefined,
  ].filter((d) => d !== undefined);
  const text = typeof message === "string" && message !== "" ? message : JSON.stringify(error).slice(0, 300);
  return details.length === 0 ? text : `${text} (${details.join(", ")})`;
}

/** The error for a non-2xx answer. */
export function httpError(
  status: number,
  statusText: string,
  bodyText: string,
  where: string,
): ProviderError {
  const said = describeErrorBody(bodyText) ?? statusText;
  const code: OpenAIErrorCode =
    status === 401 || status === 403
      ? "llm_auth"
      : status === 429
        ? "llm_rate_limited"
        : status >= 500
          ? "llm_server_error"
          : "llm_bad_request";
  let hint = "";
  if (code === "llm_auth") hint = " Check OPENAI_API_KEY (or the `apiKey` option).";
  else if (status === 404 && /model/i.test(said)) {
    hint = " Check the model id (OPENAI_MODEL or `model`); with Ollama, `ollama pull <model>` first.";
  } else if (status === 404) hint = " Check OPENAI_BASE_URL: it should end in /v1.";
  return new ProviderError(
    `${where} answered ${status}${statusText === "" ? "" : ` ${statusText}`}: ${said}.${hint}`,
    {
      provider: PROVIDER,
      status,
      code,
      retryable: isRetryableStatus(status),
    },
  );
}

/** A failure to connect or a socket that broke before any answer. */
export function connectionError(error: unknown, where: string): ProviderError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const reason =
    typeof cause?.code === "string" ? cause.code : error instanceof Error ? error.message : String(error);
  const hint =
    reason === "ECONNREFUSED"
      ? " Is the server running? (Ollama: `ollama serve`; llama.cpp: `llama-server`.)"
      : reason === "ENOTFOUND"
        ? " Check the host name in OPENAI_BASE_URL."
        : "";
  return new ProviderError(`could not reach ${where} (${reason}).${hint}`, {
    provider: PROVIDER,
    code: "llm_connection",
    retryable: true,
    cause: error,
  });
}

export function timeoutError(what: string, timeoutMs: number, where: string, option: string): ProviderError {
  return new ProviderError(`${where} sent ${what} for ${timeoutMs} ms (option ${option}).`, {
    provider: PROVIDER,
    code: "llm_timeout",
    retryable: true,
  });
}

export function streamError(message: string, code: OpenAIErrorCode, cause?: unknown): ProviderError {
  return new ProviderError(message, {
    provider: PROVIDER,
    code,
    retryable: code === "llm_stream_interrupted",
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * How long the server asked us to wait: `retry-after-ms` (OpenAI's, milliseconds), else
 * `retry-after` (seconds, or an HTTP date). Undefined when it said nothing usable.
 */
export function retryAfterMs(headers: Headers, nowEpochMs: number): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number.parseFloat(value);
  if (/^\s*\d+(\.\d+)?\s*$/.test(value) && Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMs);
}
