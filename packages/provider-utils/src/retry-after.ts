// How long a provider asked us to wait before trying again: HTTP's `Retry-After` (seconds or a
// date), OpenAI's `retry-after-ms`, and Google's `google.rpc.RetryInfo` in an error body.

type HeaderSource = Headers | Readonly<Record<string, string | string[] | undefined>>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `retry-after-ms` (milliseconds), else `retry-after` (seconds, or an HTTP date). Undefined when
 * the headers say nothing usable.
 */
export function retryAfterFromHeaders(headers: HeaderSource, nowEpochMs = Date.now()): number | undefined {
  const ms = Number.parseFloat(header(headers, "retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = header(headers, "retry-after");
  if (value === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number.parseFloat(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMs);
}

/** A `google.protobuf.Duration` in its JSON form ("3s", "0.250s", "1.5s") in ms; undefined if not one. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(value);
  return m === null ? undefined : Number.parseFloat(m[1]!) * 1000;
}

const RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";

/**
 * The `retryDelay` of a `google.rpc.RetryInfo` detail in a Google API error body
 * (`{"error": {"code": 429, "details": [{"@type": "...RetryInfo", "retryDelay": "7s"}]}}`, or
 * the same wrapped in an array, as streaming endpoints send it). Accepts the body as text.
 */
export function retryAfterFromGoogleError(body: unknown): number | undefined {
  let value = body;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(value)) value = value[0];
  const details = (value as { error?: { details?: unknown } } | null)?.error?.details;
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const d = detail as { "@type"?: unknown; retryDelay?: unknown } | null;
    if (d?.["@type"] === RETRY_INFO) return parseDurationMs(d.retryDelay);
  }
  return undefined;
}
