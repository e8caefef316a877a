import type { FastifyInstance, FastifyRequest } from "fastify";
import type { PrometheusMetrics } from "../observability/prometheus.js";
import type { TelemetryOptions } from "../observability/telemetry.js";

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
  prometheus: true,
  telemetry: {},
  corsAllowOrigins: ["*"],
  corsAllowMethods: ["*"],
  corsAllowHeaders: ["*"],
  corsAllowCredentials: true,
} as const satisfies ServeOptions;

export type ResolvedServeOptions = Required<Omit<ServeOptions, "app">> & Pick<ServeOptions, "app">;

/** Applies the defaults to the options given (undefined values count as not given). */
export function resolveServeOptions(options: ServeOptions = {}): ResolvedServeOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved = { ...defaultServeOptions, ...given } as ResolvedServeOptions;
  for (const name of [
    "canStartSession",
    "canCloseSession",
    "canViewSession",
    "canViewMetrics",
    "canScrapeMetrics",
  ] as const) {
    if (typeof resolved[name] !== "function") {
      throw new TypeError(`serveOptions.${name} must be a function (request, { callId, sessionId }) => void`);
    }
  }
  return resolved;
}
