// ElevenLabs' failures as ProviderErrors with stable codes and messages that say what to do: HTTP
// answers (`{"detail": {"status", "message"}}`), and the WebSocket's in-band `{message, error,
// code}` followed by a close (1008 for a refused key, a stalled input, a changed setting).
import { retryAfterFromHeaders, type SocketClose, statusError } from "@callwright/provider-utils";
import { ProviderError, type ProviderErrorKind } from "@callwright/spec";
import { API_KEY_VARIABLE, BASE_URL_VARIABLE } from "./options.js";

export const PROVIDER = "elevenlabs";
export const WHERE = "ElevenLabs";

/** Stable `code`s of the errors this plugin raises. */
export type ElevenLabsErrorCode =
  | "elevenlabs_auth"
  | "elevenlabs_quota"
  | "elevenlabs_rate_limit"
  | "elevenlabs_voice_not_found"
  | "elevenlabs_bad_request"
  | "elevenlabs_server"
  | "elevenlabs_timeout"
  | "elevenlabs_connection"
  | "elevenlabs_protocol";

/** The `detail.status` of an ElevenLabs error body, when there is one. */
export function detailStatus(bodyText: string): string | undefined {
  try {
    const status = (JSON.parse(bodyText) as { detail?: { status?: unknown } }).detail?.status;
    return typeof status === "string" ? status : undefined;
  } catch {
    return undefined;
  }
}

/** The error for a non-2xx HTTP answer, with what to check. */
export function httpError(
  response: { status: number; statusText: string; headers: Headers },
  bodyText: string,
  voiceId: string,
): ProviderError {
  const status = detailStatus(bodyText);
  const retryAfterMs = retryAfterFromHeaders(response.headers);
  const base = {
    provider: PROVIDER,
    status: response.status,
    statusText: response.statusText,
    bodyText,
    where: WHERE,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
  if (status === "quota_exceeded") {
    // A 401 (or 429) that no retry will cure: the plan's characters are used up.
    const said = statusError({ ...base, hint: "The account's character quota is used up." });
    return new ProviderError(said.message, {
      provider: PROVIDER,
      kind: "rate_limit",
      status: response.status,
      code: "elevenlabs_quota",
      retryable: false,
    });
  }
  if (status === "voice_not_found" || (response.status === 404 && /voice/i.test(bodyText))) {
    return statusError({
      ...base,
      kind: "bad_request",
      code: "elevenlabs_voice_not_found",
      hint: `Check the voiceId option ('${voiceId}').`,
    });
  }
  if (response.status === 401 || response.status === 403) {
    return statusError({
      ...base,
      code: "elevenlabs_auth",
      hint: `Check ${API_KEY_VARIABLE} (or the apiKey option).`,
    });
  }
  if (response.status === 404) {
    return statusError({
      ...base,
      code: "elevenlabs_bad_request",
      hint: `Check ${BASE_URL_VARIABLE}: scheme, host and port only.`,
    });
  }
  const kind = response.status === 429 ? "rate_limit" : response.status >= 500 ? "server" : "bad_request";
  return statusError({ ...base, code: `elevenlabs_${kind === "rate_limit" ? "rate_limit" : kind}` });
}

/** What to do after a refused handshake. */
export function refusalHint(status: number): string | undefined {
  if (status === 401 || status === 403) return `Check ${API_KEY_VARIABLE} (or the apiKey option).`;
  if (status === 404) return `Check ${BASE_URL_VARIABLE} and the voiceId option.`;
  return undefined;
}

const AUTH = /api key|api_key|unauthori[sz]ed|authenticat|permission/i;

/** The kind of an in-band `{message, error, code}` or a close reason. */
function kindOf(said: string): ProviderErrorKind {
  if (AUTH.test(said)) return "auth";
  if (/input_timeout|timeout|not received a new text/i.test(said)) return "timeout";
  if (/quota|too_many|concurrent|rate/i.test(said)) return "rate_limit";
  if (/voice_not_found|voice.*not (be )?found/i.test(said)) return "bad_request";
  if (/something went wrong|internal|unavailable/i.test(said)) return "server";
  return "bad_request";
}

/** ElevenLabs' close codes: 1008 says why in its reason; 1011 is its own failure; 1000 is normal. */
export function closeKind(code: number, reason: string): ProviderErrorKind | "normal" | undefined {
  if (code === 1000) return "normal";
  if (code === 1008) return kindOf(reason);
  return undefined;
}

function codeFor(kind: ProviderErrorKind, said: string): ElevenLabsErrorCode {
  if (/quota/i.test(said)) return "elevenlabs_quota";
  if (/voice_not_found|voice.*not (be )?found/i.test(said)) return "elevenlabs_voice_not_found";
  return `elevenlabs_${kind}` as ElevenLabsErrorCode;
}

function hintFor(
  kind: ProviderErrorKind,
  said: string,
  options: { voiceId: string; inactivityTimeoutS: number },
): string {
  if (kind === "auth") return ` Check ${API_KEY_VARIABLE} (or the apiKey option).`;
  if (kind === "timeout") {
    return ` It got no text for ${options.inactivityTimeoutS} s (option inactivityTimeoutS).`;
  }
  if (/voice/i.test(said)) return ` Check the voiceId option ('${options.voiceId}').`;
  return "";
}

/** The in-band error message `{message, error, code}` as a ProviderError. */
export function serviceError(
  message: { message?: string | undefined; error?: string | undefined; code?: number | undefined },
  options: { voiceId: string; inactivityTimeoutS: number },
): ProviderError {
  const said = [message.error, message.message].filter((s) => typeof s === "string" && s !== "").join(": ");
  const kind = kindOf(said);
  const retryable = kind === "server" || (kind === "rate_limit" && !/quota/i.test(said));
  return new ProviderError(
    `ElevenLabs reported an error: ${said || "no description"}.${hintFor(kind, said, options)}`,
    {
      provider: PROVIDER,
      kind,
      ...(typeof message.code === "number" ? { status: message.code } : {}),
      code: codeFor(kind, said),
      retryable,
    },
  );
}

/** The error for a socket that ended unexpectedly. */
export function closeError(
  close: SocketClose,
  options: { voiceId: string; inactivityTimeoutS: number },
): ProviderError {
  if (close.code === 1008 && close.reason !== "") {
    return serviceError({ message: close.reason, code: close.code }, options);
  }
  if (close.error !== undefined) return close.error;
  return new ProviderError(
    `ElevenLabs closed the stream (code ${close.code}${close.reason === "" ? "" : `: ${close.reason}`}).`,
    {
      provider: PROVIDER,
      kind: "connection",
      status: close.code,
      code: "elevenlabs_connection",
      retryable: true,
    },
  );
}

export function protocolError(message: string): ProviderError {
  return new ProviderError(message, { provider: PROVIDER, kind: "protocol", code: "elevenlabs_protocol" });
}
