// Deepgram's failures as ProviderErrors with stable codes and messages that say what to do:
// handshake refusals (401, 400 with its `err_msg`), close frames (DATA-0000, NET-0000, NET-0001).
import type { SocketClose } from "@callwright/provider-utils";
import { ProviderError, type ProviderErrorKind } from "@callwright/spec";
import { API_KEY_VARIABLE, BASE_URL_VARIABLE } from "./options.js";

export const PROVIDER = "deepgram";
export const WHERE = "Deepgram";

/** Stable `code`s of the errors this plugin raises. */
export type DeepgramErrorCode =
  | "deepgram_auth"
  | "deepgram_rate_limit"
  | "deepgram_bad_request"
  | "deepgram_server"
  | "deepgram_timeout"
  | "deepgram_connection"
  | "deepgram_protocol"
  /** Deepgram could not decode the audio (close DATA-0000). */
  | "deepgram_audio_rejected"
  /** Deepgram heard nothing for 10 s and closed (close NET-0001). */
  | "deepgram_idle_timeout";

/** What to do after a refused handshake. */
export function refusalHint(status: number): string | undefined {
  if (status === 401 || status === 403) return `Check ${API_KEY_VARIABLE} (or the apiKey option).`;
  if (status === 400)
    return "Check the model, language and other options (Deepgram's message above says which).";
  if (status === 404)
    return `Check ${BASE_URL_VARIABLE}: it should be the service's scheme, host and port only.`;
  if (status === 429) return "Too many concurrent streams for this project; the voice loop retries.";
  return undefined;
}

/** Deepgram's close codes: 1008/1002 DATA-…, 1011 NET-…; 1000 is normal. */
export function closeKind(code: number, reason: string): ProviderErrorKind | "normal" | undefined {
  if (code === 1000) return "normal";
  if (reason.startsWith("DATA-")) return "bad_request";
  if (reason.startsWith("NET-0001")) return "timeout";
  if (reason.startsWith("NET-")) return "server";
  return undefined;
}

/** The error for a socket that ended unexpectedly, in Deepgram's terms. */
export function closeError(close: SocketClose, context: { sampleRateHz: number }): ProviderError {
  const { code, reason } = close;
  if (reason.startsWith("DATA-")) {
    return new ProviderError(
      `Deepgram could not decode the audio (${reason}, close ${code}): it expected 16-bit linear PCM, mono, at ${context.sampleRateHz} Hz.`,
      {
        provider: PROVIDER,
        kind: "bad_request",
        status: code,
        code: "deepgram_audio_rejected",
        retryable: false,
      },
    );
  }
  if (reason.startsWith("NET-0001")) {
    return new ProviderError(
      `Deepgram closed the stream: it received no audio or KeepAlive for 10 s (${reason}, close ${code}).`,
      { provider: PROVIDER, kind: "timeout", status: code, code: "deepgram_idle_timeout", retryable: true },
    );
  }
  if (close.error !== undefined) return close.error;
  return new ProviderError(
    `Deepgram closed the stream (code ${code}${reason === "" ? "" : `: ${reason}`}).`,
    {
      provider: PROVIDER,
      kind: "connection",
      status: code,
      code: "deepgram_connection",
      retryable: true,
    },
  );
}

export function protocolError(message: string): ProviderError {
  return new ProviderError(message, { provider: PROVIDER, kind: "protocol", code: "deepgram_protocol" });
}
