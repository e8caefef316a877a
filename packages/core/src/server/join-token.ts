// Join tokens: short-lived, call-scoped credentials that `POST /sessions` mints and an edge's
// signalling routes require (docs/security.md). An HMAC-SHA256 over the call id and expiry,
// keyed by a server secret: no state to share between nodes other than the secret.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The request header a join token travels in (a `?token=` query parameter works too). */
export const JOIN_TOKEN_HEADER = "x-join-token";
/** The query parameter a join token travels in (for `navigator.sendBeacon`, which sets no header). */
export const JOIN_TOKEN_QUERY = "token";
/** Longest token the server reads; longer ones are refused unread. */
const MAX_TOKEN_CHARS = 4096;
const VERSION = "cwj1";

let processSecret: string | undefined;

/** The secret of this process when none is configured: 32 random bytes, made once. */
export function processJoinTokenSecret(): string {
  processSecret ??= randomBytes(32).toString("base64url");
  return processSecret;
}

export interface MintedJoinToken {
  token: string;
  /** When it stops being accepted (ms since the epoch). */
  expiresAtMs: number;
}

function sign(secret: string, payload: string): Buffer {
  return createHmac("sha256", secret).update(`${VERSION}.${payload}`).digest();
}

/** A token that lets its holder use the edge's routes of call `callId` until `now + ttlMs`. */
export function mintJoinToken(
  secret: string,
  callId: string,
  ttlMs: number,
  nowMs: number = Date.now(),
): MintedJoinToken {
  const expiresAtMs = Math.floor(nowMs + ttlMs);
  const payload = Buffer.from(JSON.stringify({ c: callId, e: expiresAtMs })).toString("base64url");
  return { token: `${payload}.${sign(secret, payload).toString("base64url")}`, expiresAtMs };
}

export type JoinTokenCheck = "ok" | "malformed" | "bad_signature" | "expired" | "other_call";

/** Checks `token` for call `callId`; constant-time on the signature. */
export function checkJoinToken(
  secret: string,
  token: string,
  callId: string,
  nowMs: number = Date.now(),
): JoinTokenCheck {
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return "malformed";
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return "malformed";
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = sign(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "bad_signature";
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return "malformed";
  }
  const { c, e } = (claims ?? {}) as { c?: unknown; e?: unknown };
  if (typeof c !== "string" || typeof e !== "number") return "malformed";
  if (nowMs >= e) return "expired";
  return c === callId ? "ok" : "other_call";
}

/** The token a request carries: the `x-join-token` header, else the `token` query parameter. */
export function joinTokenOf(request: {
  headers: Record<string, unknown>;
  query: unknown;
}): string | undefined {
  const header = request.headers[JOIN_TOKEN_HEADER];
  if (typeof header === "string" && header !== "") return header;
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.[JOIN_TOKEN_QUERY];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Appends `token` to a page URL as `?token=` (what `run` prints). */
export function withJoinToken(url: string, token: string): string {
  const hash = url.indexOf("#");
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? "" : url.slice(hash);
  return `${base}${base.includes("?") ? "&" : "?"}${JOIN_TOKEN_QUERY}=${encodeURIComponent(token)}${fragment}`;
}
