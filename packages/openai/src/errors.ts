// What went wrong talking to an OpenAI-compatible server, as ProviderErrors with stable codes and
// messages that say what to do (built on the shared provider helpers).

import { connectionError as connectError, statusError } from "@callwright/provider-utils";
import { ProviderError } from "@callwright/spec";

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

/** The error for a non-2xx answer, with what to check. */
export function httpError(
  status: number,
  statusText: string,
  bodyText: string,
  where: string,
  retryAfterMs?: number,
): ProviderError {
  const code: OpenAIErrorCode =
    status === 401 || status === 403
      ? "llm_auth"
      : status === 429
        ? "llm_rate_limited"
        : status >= 500
          ? "llm_server_error"
          : "llm_bad_request";
  let hint = "";
  if (code === "llm_auth") hint = "Check OPENAI_API_KEY (or the `apiKey` option).";
  else if (status === 404 && /model/i.test(bodyText)) {
    hint = "Check the model id (OPENAI_MODEL or `model`); with Ollama, `ollama pull <model>` first.";
  } else if (status === 404) hint = "Check OPENAI_BASE_URL: it should end in /v1.";
  return statusError({
    provider: PROVIDER,
    status,
    statusText,
    bodyText,
    where,
    code,
    hint,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** A failure to connect or a socket that broke before any answer. */
export function connectionError(error: unknown, where: string): ProviderError {
  return connectError(error, {
    provider: PROVIDER,
    where,
    code: "llm_connection",
    hints: {
      ECONNREFUSED: "Is the server running? (Ollama: `ollama serve`; llama.cpp: `llama-server`.)",
      ENOTFOUND: "Check the host name in OPENAI_BASE_URL.",
    },
  });
}

export function streamError(message: string, code: OpenAIErrorCode, cause?: unknown): ProviderError {
  return new ProviderError(message, {
    provider: PROVIDER,
    kind: code === "llm_stream_interrupted" ? "connection" : "protocol",
    code,
    retryable: code === "llm_stream_interrupted",
    ...(cause === undefined ? {} : { cause }),
  });
}
