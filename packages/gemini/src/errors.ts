// What went wrong talking to Gemini, as ProviderErrors with stable codes and messages that say
// what to do. Google answers a bad key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), which
// is an auth failure, not a bad request; a 429 carries how long to wait in google.rpc.RetryInfo.
import {
  connectionError as connectError,
  retryAfterFromGoogleError,
  statusError,
} from "@callwright/provider-utils";
import { ProviderError, type ProviderErrorKind } from "@callwright/spec";

const PROVIDER = "gemini";

/** Stable `code`s of the errors this plugin raises. */
export type GeminiErrorCode =
  | "llm_auth"
  | "llm_rate_limited"
  | "llm_bad_request"
  | "llm_server_error"
  | "llm_timeout"
  | "llm_connection"
  | "llm_stream_interrupted"
  | "llm_bad_response";

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: { "@type"?: string; reason?: string }[];
  };
}

/** The `google.rpc.ErrorInfo` reason of an error body ("API_KEY_INVALID"), if any. */
export function errorReason(body: unknown): string | undefined {
  const value = (Array.isArray(body) ? body[0] : body) as GoogleErrorBody | undefined;
  const details = value?.error?.details;
  if (!Array.isArray(details)) return undefined;
  return details.find((d) => d?.["@type"] === "type.googleapis.com/google.rpc.ErrorInfo")?.reason;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The error for a non-2xx answer, with what to check. */
export function httpError(
  status: number,
  statusText: string,
  bodyText: string,
  where: string,
): ProviderError {
  const body = parse(bodyText);
  const reason = errorReason(body);
  const keyRefused = reason?.startsWith("API_KEY") === true;
  const kind: ProviderErrorKind | undefined = keyRefused ? "auth" : undefined;
  const code: GeminiErrorCode =
    keyRefused || status === 401 || status === 403
      ? "llm_auth"
      : status === 429
        ? "llm_rate_limited"
        : status >= 500
          ? "llm_server_error"
          : "llm_bad_request";
  let hint = "";
  if (code === "llm_auth") hint = "Check GOOGLE_API_KEY or GEMINI_API_KEY (or the `apiKey` option).";
  else if (status === 404) {
    hint = "Check the model id (`model`, e.g. gemini-2.5-flash) and GEMINI_BASE_URL.";
  } else if (code === "llm_rate_limited") {
    hint = "See your quota at https://ai.google.dev/gemini-api/docs/rate-limits.";
  }
  const retryAfterMs = retryAfterFromGoogleError(body);
  return statusError({
    provider: PROVIDER,
    status,
    statusText,
    bodyText,
    where,
    code,
    hint,
    ...(kind === undefined ? {} : { kind }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** An `{"error": {...}}` object sent inside a stream that had started. */
export function streamBodyError(error: { code?: unknown }, where: string): ProviderError {
  const status = typeof error.code === "number" ? error.code : 500;
  return httpError(status, "", JSON.stringify({ error }), `${where} (mid-stream)`);
}

/** A failure to connect or a socket that broke before any answer. */
export function connectionError(error: unknown, where: string): ProviderError {
  return connectError(error, {
    provider: PROVIDER,
    where,
    code: "llm_connection",
    hints: {
      ECONNREFUSED: "Is GEMINI_BASE_URL right (a proxy or fake that is not running)?",
      ENOTFOUND: "Check the host name in GEMINI_BASE_URL, and this machine's DNS.",
    },
  });
}

export function streamError(message: string, code: GeminiErrorCode, cause?: unknown): ProviderError {
  return new ProviderError(message, {
    provider: PROVIDER,
    kind: code === "llm_stream_interrupted" ? "connection" : "protocol",
    code,
    retryable: code === "llm_stream_interrupted",
    ...(cause === undefined ? {} : { cause }),
  });
}
