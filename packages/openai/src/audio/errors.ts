// What went wrong talking to an audio server, as ProviderErrors with stable codes
// (`stt_auth`, `tts_rate_limited`...) and messages that say what to check.
import { connectionError as connectError, statusError } from "@callwright/provider-utils";
import { ProviderError } from "@callwright/spec";
import type { AudioKind } from "./endpoint.js";

/** Stable `code`s of the audio errors: `stt_…` for openai.STT, `tts_…` for openai.TTS. */
export type OpenAIAudioErrorCode =
  `${"stt" | "tts"}_${"auth" | "rate_limited" | "bad_request" | "server_error" | "timeout" | "connection" | "stream_interrupted" | "bad_response"}`;

export function audioHttpError(
  kind: AudioKind,
  status: number,
  statusText: string,
  bodyText: string,
  where: string,
  retryAfterMs: number | undefined,
): ProviderError {
  const KIND = kind.toUpperCase();
  const code: OpenAIAudioErrorCode =
    status === 401 || status === 403
      ? `${kind}_auth`
      : status === 429
        ? `${kind}_rate_limited`
        : status >= 500
          ? `${kind}_server_error`
          : `${kind}_bad_request`;
  let hint = "";
  if (code === `${kind}_auth`)
    hint = `Check OPENAI_${KIND}_API_KEY or OPENAI_API_KEY (or the \`apiKey\` option).`;
  else if (status === 404 && /model/i.test(bodyText))
    hint = `Check the model id (OPENAI_${KIND}_MODEL or \`model\`).`;
  else if (status === 404) {
    hint = `Check OPENAI_${KIND}_BASE_URL: it should end in /v1 (the server must serve ${kind === "stt" ? "/v1/audio/transcriptions" : "/v1/audio/speech"}).`;
  }
  return statusError({
    provider: "openai",
    status,
    statusText,
    bodyText,
    where,
    code,
    hint,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

export function audioConnectionError(kind: AudioKind, error: unknown, where: string): ProviderError {
  return connectError(error, {
    provider: "openai",
    where,
    code: `${kind}_connection`,
    hints: {
      ECONNREFUSED: `Is the server running? (Check OPENAI_${kind.toUpperCase()}_BASE_URL.)`,
      ENOTFOUND: `Check the host name in OPENAI_${kind.toUpperCase()}_BASE_URL.`,
    },
  });
}

export function audioStreamError(
  kind: AudioKind,
  message: string,
  what: "stream_interrupted" | "bad_response",
  cause?: unknown,
): ProviderError {
  return new ProviderError(message, {
    provider: "openai",
    kind: what === "stream_interrupted" ? "connection" : "protocol",
    code: `${kind}_${what}`,
    retryable: what === "stream_interrupted",
    ...(cause === undefined ? {} : { cause }),
  });
}
