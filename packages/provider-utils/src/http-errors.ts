// Provider failures over HTTP as typed ProviderErrors: a status with the provider's own words,
// a connection that could not be made, the cause of a broken body.
import { kindForStatus, ProviderError, type ProviderErrorKind } from "@callwright/spec";

/**
 * What an error body says: `{"error": {"message", "type"|"status", "code"}}` (OpenAI, Google),
 * `{"detail": ...}` (ElevenLabs, FastAPI), `{"err_msg": ...}` (Deepgram), or plain text.
 */
export function describeErrorBody(bodyText: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    const text = bodyText.trim();
    return text === "" ? undefined : text.slice(0, 300);
  }
  if (Array.isArray(parsed)) parsed = parsed[0];
  const p = parsed as { error?: unknown; detail?: unknown; err_msg?: unknown; message?: unknown } | null;
  const error = p?.error ?? p?.detail ?? p?.err_msg ?? parsed;
  if (typeof error === "string") return error;
  if (error === null || typeof error !== "object") return undefined;
  const { message, type, status, code } = error as {
    message?: unknown;
    type?: unknown;
    status?: unknown;
    code?: unknown;
  };
  const label = typeof type === "string" ? type : typeof status === "string" ? status : undefined;
  const details = [
    label === undefined ? undefined : `type ${label}`,
    typeof code === "string" || typeof code === "number" ? `code ${code}` : undefined,
  ].filter((d) => d !== undefined);
  const text = typeof message === "string" && message !== "" ? message : JSON.stringify(error).slice(0, 300);
  return details.length === 0 ? text : `${text} (${details.join(", ")})`;
}

export interface StatusErrorOptions {
  provider: string;
  status: number;
  statusText?: string;
  /** The response body, as text (its message is quoted). */
  bodyText: string;
  /** Who answered, for the message: "Deepgram", "OpenAI". */
  where: string;
  /** Default from the status (see `kindForStatus`). */
  kind?: ProviderErrorKind;
  /** The error's `code`; default `<provider>_<kind>`. */
  code?: string;
  /** A sentence on what to do, appended ("Check DEEPGRAM_API_KEY."). */
  hint?: string;
  retryAfterMs?: number;
}

/** The error for a non-2xx answer. */
export function statusError(options: StatusErrorOptions): ProviderError {
  const statusText = options.statusText ?? "";
  const said = describeErrorBody(options.bodyText) ?? statusText;
  const kind = options.kind ?? kindForStatus(options.status);
  const hint = options.hint === undefined || options.hint === "" ? "" : ` ${options.hint}`;
  return new ProviderError(
    `${options.where} answered ${options.status}${statusText === "" ? "" : ` ${statusText}`}: ${said}.${hint}`,
    {
      provider: options.provider,
      status: options.status,
      kind,
      code: options.code ?? `${options.provider}_${kind}`,
      ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
    },
  );
}

/** The most telling part of a network error: `ECONNREFUSED`, the cause's message, or the message. */
export function causeText(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** A failure to connect, or a socket that broke before any answer: retryable, kind `connection`. */
export function connectionError(
  error: unknown,
  options: { provider: string; where: string; code?: string; hints?: Partial<Record<string, string>> },
): ProviderError {
  const reason = causeText(error);
  const hint = options.hints?.[reason];
  return new ProviderError(
    `could not reach ${options.where} (${reason}).${hint === undefined ? "" : ` ${hint}`}`,
    {
      provider: options.provider,
      kind: "connection",
      code: options.code ?? `${options.provider}_connection`,
      retryable: true,
      cause: error,
    },
  );
}
