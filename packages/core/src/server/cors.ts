// CORS with Starlette's CORSMiddleware semantics (what the Python server runs), as one
// onRequest hook: preflights are answered at once; other requests get the headers added.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";

export interface CorsOptions {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  allowCredentials: boolean;
  /** Response headers a browser script may read. Default none. */
  exposeHeaders?: readonly string[];
  /** How long a browser may cache a preflight, in seconds. Default 600 (Starlette's). */
  maxAgeS?: number;
}

const ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
const SAFELISTED_HEADERS = ["accept", "accept-language", "content-language", "content-type"];

function addVary(reply: FastifyReply, value: string): void {
  const existing = reply.getHeader("vary");
  if (existing === undefined) reply.header("vary", value);
  else if (
    !String(existing)
      .toLowerCase()
      .split(/\s*,\s*/)
      .includes(value.toLowerCase())
  ) {
    reply.header("vary", `${existing}, ${value}`);
  }
}

/**
 * The onRequest hook. With `*` origins and credentials (the defaults), a preflight is answered
 * with the request's own origin, and a simple request with `*` unless it carries a cookie (then
 * the origin is reflected): browsers refuse `*` on credentialed requests.
 */
export function corsHook(
  options: CorsOptions,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  const allowAllOrigins = options.allowOrigins.includes("*");
  const allowAllHeaders = options.allowHeaders.includes("*");
  const origins = new Set(options.allowOrigins);
  const methods = options.allowMethods.includes("*")
    ? ALL_METHODS
    : options.allowMethods.map((m) => m.toUpperCase());
  const allowedHeaders = new Set([
    ...SAFELISTED_HEADERS,
    ...options.allowHeaders.map((h) => h.toLowerCase()),
  ]);
  const explicitPreflightOrigin = !allowAllOrigins || options.allowCredentials;

  const simpleHeaders: Record<string, string> = {};
  if (allowAllOrigins) simpleHeaders["access-control-allow-origin"] = "*";
  if (options.allowCredentials) simpleHeaders["access-control-allow-credentials"] = "true";
  if (options.exposeHeaders !== undefined && options.exposeHeaders.length > 0) {
    simpleHeaders["access-control-expose-headers"] = options.exposeHeaders.join(", ");
  }

  const preflightHeaders: Record<string, string> = {};
  if (!explicitPreflightOrigin) preflightHeaders["access-control-allow-origin"] = "*";
  preflightHeaders["access-control-allow-methods"] = methods.join(", ");
  preflightHeaders["access-control-max-age"] = String(options.maxAgeS ?? 600);
  if (!allowAllHeaders)
    preflightHeaders["access-control-allow-headers"] = [...allowedHeaders].sort().join(", ");
  if (options.allowCredentials) preflightHeaders["access-control-allow-credentials"] = "true";

  const isAllowedOrigin = (origin: string): boolean => allowAllOrigins || origins.has(origin);

  return function cors(request, reply, done) {
    const origin = request.headers.origin;
    if (origin === undefined) return done();

    const requestedMethod = request.headers["access-control-request-method"];
    if (request.method === "OPTIONS" && requestedMethod !== undefined) {
      const failures: string[] = [];
      reply.headers(preflightHeaders);
      if (explicitPreflightOrigin) addVary(reply, "Origin");
      if (isAllowedOrigin(origin)) {
        if (explicitPreflightOrigin) reply.header("access-control-allow-origin", origin);
      } else failures.push("origin");
      if (!methods.includes(String(requestedMethod).toUpperCase())) failures.push("method");
      const requestedHeaders = request.headers["access-control-request-headers"];
      if (requestedHeaders !== undefined) {
        if (allowAllHeaders) reply.header("access-control-allow-headers", requestedHeaders);
        else if (
          String(requestedHeaders)
            .split(",")
            .some((h) => !allowedHeaders.has(h.trim().toLowerCase()))
        ) {
          failures.push("headers");
        }
      }
      reply
        .code(failures.length > 0 ? 400 : 200)
        .type("text/plain; charset=utf-8")
        .send(failures.length > 0 ? `Disallowed CORS ${failures.join(", ")}` : "OK");
      return;
    }

    reply.headers(simpleHeaders);
    if (
      (allowAllOrigins && request.headers.cookie !== undefined) ||
      (!allowAllOrigins && origins.has(origin))
    ) {
      reply.header("access-control-allow-origin", origin);
      addVary(reply, "Origin");
    }
    done();
  };
}
