// HS256 JSON Web Tokens with node:crypto, the way Stream expects them: a server token
// (`{server: true}`), user tokens (`{user_id, iat}`, optional `exp`), call tokens (`call_cids`).
import { createHmac, timingSafeEqual } from "node:crypto";

export type JwtClaims = Record<string, unknown>;

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

export function signJwt(claims: JwtClaims, secret: string): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${signature}`;
}

/**
 * The claims of `token` when it is an HS256 JWT signed with `secret` and not expired at
 * `nowS`; otherwise a reason it is not.
 */
export function verifyJwt(
  token: string,
  secret: string,
  nowS: number = Date.now() / 1000,
): { ok: true; claims: JwtClaims } | { ok: false; reason: "malformed" | "signature" | "expired" } {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed" };
  const [header, payload, signature] = parts as [string, string, string];
  let alg: unknown;
  let claims: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (alg !== "HS256" || typeof claims !== "object" || claims === null)
    return { ok: false, reason: "malformed" };
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "signature" };
  }
  const exp = (claims as { exp?: unknown }).exp;
  if (typeof exp === "number" && exp < nowS) return { ok: false, reason: "expired" };
  return { ok: true, claims: claims as JwtClaims };
}

/** Mints Stream tokens from the app's secret. */
export class StreamTokens {
  readonly #secret: string;

  constructor(secret: string) {
    this.#secret = secret;
  }

  /** For server-side REST calls (user upserts, call creation, custom events). */
  server(): string {
    return signJwt({ server: true }, this.#secret);
  }

  /** Acts as `userId` (joining a call); `validityS` undefined = no expiry. */
  user(userId: string, options: { validityS?: number } = {}): string {
    const iat = Math.floor(Date.now() / 1000) - 5; // a little slack for clock skew
    const claims: JwtClaims = { user_id: userId, iat };
    if (options.validityS !== undefined) claims.exp = iat + 5 + options.validityS;
    return signJwt(claims, this.#secret);
  }

  /** A user token limited to the given calls (`type:id`). */
  call(userId: string, callCids: readonly string[], options: { validityS?: number } = {}): string {
    const iat = Math.floor(Date.now() / 1000) - 5;
    const claims: JwtClaims = { user_id: userId, iat, call_cids: [...callCids] };
    if (options.validityS !== undefined) claims.exp = iat + 5 + options.validityS;
    return signJwt(claims, this.#secret);
  }
}
