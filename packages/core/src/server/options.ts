import type { FastifyInstance, FastifyRequest } from "fastify";
import type { PrometheusMetrics } from "../observability/prometheus.js";
import type { TelemetryOptions } from "../observability/telemetry.js";
import { processJoinTokenSecret } from "./join-token.js";

/** What a permission callable is told about the request (only what the request names). */
export interface PermissionContext {
  /** The call: from the path on `/calls/{call_id}/...` routes, from the body on `POST /sessions`. */
  callId?: string;
  /** The session, on every route that names one. */
  sessionId?: string;
}

/**
 * Decides whether a request may proceed: return to allow, throw an `HttpError` to refuse
 * (its status and detail are answered). Any other throw answers 500 `Internal Server Error`
 * (the cause is logged, never sent). Runs before body validation, like a FastAPI dependency.
 */
export type Permission = (request: FastifyRequest, context: PermissionContext) => void | Promise<void>;

/** Allows every request: the default of all four permissions (as in the Python server). */
export const allowAll: Permission = () => {};

export interface ServeOptions {
  /** Guards `POST /sessions` and `POST /calls/{call_id}/sessions`. Default: allow all. */
  canStartSession?: Permission;
  /** Guards `DELETE` and the beacon `POST .../close` routes. Default: allow all. */
  canCloseSession?: Permission;
  /** Guards `GET /sessions/{session_id}` (both families). Default: allow all. */
  canViewSession?: Permission;
  /** Guards `GET .../metrics` (both families). Default: allow all. */
  canViewMetrics?: Permission;
  /** Guards `GET /metrics` (the Prometheus text of this node). Default: allow all. */
  canScrapeMetrics?: Permission;
  /**
   * Guards every route an edge adds whose path names a call (`:call_id`): the local edge's
   * offer, participant list and leave routes. Its context has `callId`. Runs after the join
   * token check (see `requireJoinToken`). Default: allow all.
   */
  canJoinCall?: Permission;
  /**
   * Whether an edge's call routes need a join token (minted by `POST /sessions`, returned as
   * `join_token`) for the call they name: 401 without one, 403 with a bad, expired or other
   * call's token. Default: true as soon as any of `canStartSession`, `canCloseSession`,
   * `canViewSession` or `canViewMetrics` is set (guarding starts guards joins with no second
   * callable to remember), else false. Env: `CALLWRIGHT_REQUIRE_JOIN_TOKEN`.
   */
  requireJoinToken?: boolean;
  /**
   * The HMAC-SHA256 key of join tokens, at least 16 characters. Default: 32 random bytes made
   * once per process, so a token is valid on the process that minted it only; give every node
   * of a cluster the same secret. Env: `CALLWRIGHT_JOIN_TOKEN_SECRET`.
   */
  joinTokenSecret?: string;
  /**
   * How long a join token is accepted after it was minted, in ms; it is checked on every
   * signalling request (join, reconnect, leave). Default 3 600 000 (1 h).
   * Env: `CALLWRIGHT_JOIN_TOKEN_TTL_MS`.
   */
  joinTokenTtlMs?: number;
  /**
   * `GET /metrics` in the Prometheus text format, aggregated over this node's sessions. Default
   * true (a registry of its own per server); false = no such route; or your own
   * `createPrometheusMetrics()` to add metrics of yours to its `registry`.
   */
  prometheus?: boolean | PrometheusMetrics;
  /**
   * OpenTelemetry spans and metrics through `@opentelemetry/api`: default `{}` = the globally
   * registered providers, which costs nothing until an SDK is registered; explicit providers;
   * or false = never.
   */
  telemetry?: false | TelemetryOptions;
  /** Origins allowed by CORS; `*` = any. Default `["*"]`. Env: `CORS_ALLOW_ORIGINS`. */
  corsAllowOrigins?: readonly string[];
  /** Methods allowed by CORS; `*` = any. Default `["*"]`. Env: `CORS_ALLOW_METHODS`. */
  corsAllowMethods?: readonly string[];
  /** Request headers allowed by CORS; `*` = any. Default `["*"]`. Env: `CORS_ALLOW_HEADERS`. */
  corsAllowHeaders?: readonly string[];
  /**
   * Whether CORS allows credentials (cookies, Authorization). Default true; then a `*` origin is
   * answered with the request's own origin where browsers need it (as Starlette does).
   * Env: `CORS_ALLOW_CREDENTIALS`.
   */
  corsAllowCredentials?: boolean;
  /**
   * How long a client has to send a whole request (headers and body), in ms; a stalled one is
   * answered 408 `{"detail": ...}` and its connection closed (checked about every second).
   * 0 = no limit. Default 30 000 (30 s). Env: `CALLWRIGHT_REQUEST_TIMEOUT_MS`. Not applied
   * with `app` (set your instance's `requestTimeout`).
   */
  requestTimeoutMs?: number;
  /**
   * How long a client has to send a request's headers, in ms (at most `requestTimeoutMs`).
   * Default 10 000 (10 s). Env: `CALLWRIGHT_HEADERS_TIMEOUT_MS`. Not applied with `app`.
   */
  headersTimeoutMs?: number;
  /**
   * Your own Fastify instance: the session routes are registered on it as an encapsulated
   * plugin (the permissions still guard them; the launcher starts and stops with the app), and
   * nothing global is applied: no CORS, no error or not-found handler, no logger, no OpenAPI.
   */
  app?: FastifyInstance;
}

/** Defaults of ServeOptions (the Python server's). */
export const defaultServeOptions = {
  canStartSession: allowAll,
  canCloseSession: allowAll,
  canViewSession: allowAll,
  canViewMetrics: allowAll,
  canScrapeMetrics: allowAll,
  canJoinCall: allowAll,
  joinTokenTtlMs: 3_600_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  prometheus: true,
  telemetry: {},
  corsAllowOrigins: ["*"],
  corsAllowMethods: ["*"],
  corsAllowHeaders: ["*"],
  corsAllowCredentials: true,
} as const satisfies ServeOptions;

export type ResolvedServeOptions = Required<Omit<ServeOptions, "app">> & Pick<ServeOptions, "app">;

/** The permissions that, once set, turn `requireJoinToken` on by default. */
const SESSION_PERMISSIONS = [
  "canStartSession",
  "canCloseSession",
  "canViewSession",
  "canViewMetrics",
] as const;

/** Applies the defaults to the options given (undefined values count as not given). */
export function resolveServeOptions(options: ServeOptions = {}): ResolvedServeOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const merged = { ...defaultServeOptions, ...given } as ServeOptions & typeof defaultServeOptions;
  for (const name of [...SESSION_PERMISSIONS, "canScrapeMetrics", "canJoinCall"] as const) {
    if (typeof merged[name] !== "function") {
      throw new TypeError(`serveOptions.${name} must be a function (request, { callId, sessionId }) => void`);
    }
  }
  const secret = merged.joinTokenSecret ?? processJoinTokenSecret();
  if (typeof secret !== "string" || secret.length < 16) {
    throw new TypeError("serveOptions.joinTokenSecret must be a string of at least 16 characters");
  }
  const ttlMs = merged.joinTokenTtlMs;
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError(`serveOptions.joinTokenTtlMs must be a number of milliseconds > 0 (got ${ttlMs})`);
  }
  for (const name of ["requestTimeoutMs", "headersTimeoutMs"] as const) {
    const value = merged[name];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`serveOptions.${name} must be a number of milliseconds >= 0 (got ${value})`);
    }
  }
  const requireJoinToken =
    merged.requireJoinToken ?? SESSION_PERMISSIONS.some((name) => merged[name] !== allowAll);
  return { ...merged, joinTokenSecret: secret, requireJoinToken } as ResolvedServeOptions;
}
