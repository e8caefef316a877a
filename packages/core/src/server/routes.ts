// The session API as one encapsulated Fastify plugin: both route families of docs/http-api.md,
// /health and /ready, the permission hooks, FastAPI-style validation and errors, and the
// agent edge's own routes. It applies nothing outside itself, so it can go on any app.
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
} from "fastify";
import type { AgentLauncher } from "../launcher/launcher.js";
import type { SessionInfo } from "../launcher/types.js";
import { createPrometheusMetrics, type PrometheusMetrics } from "../observability/prometheus.js";
import { attachTelemetry } from "../observability/telemetry.js";
import { answerFor, logAnswer, NOT_READY_DETAIL } from "./errors.js";
import { checkJoinToken, JOIN_TOKEN_HEADER, joinTokenOf, mintJoinToken } from "./join-token.js";
import {
  allowAll,
  type Permission,
  type PermissionContext,
  type ResolvedServeOptions,
  resolveServeOptions,
  type ServeOptions,
} from "./options.js";
import {
  callParams,
  callScopedStartSessionBody,
  callSessionParams,
  emptyResponse,
  errorResponses,
  metricsResponse,
  sessionParams,
  sessionResponse,
  startSessionBody,
  startSessionResponse,
  validationErrorResponse,
} from "./schemas.js";
import { compileValidator, type ObjectSchema, parseBody } from "./validation.js";

/** The largest request body the session API reads (64 KiB); larger ones get 413. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface CallwrightRoutesOptions {
  launcher: AgentLauncher;
  /** The permission callables (the CORS and `app` options are for `buildServer`). */
  serveOptions?: ServeOptions;
  /** Start the launcher when the app is ready and stop it when the app closes. Default true. */
  manageLauncher?: boolean;
  /**
   * Whether the app's `ready()` (and so `listen()`) waits for the agent's warm-up. Default
   * true; `serve` passes false so it listens at once and `/ready` answers 503 until warm.
   */
  awaitWarmup?: boolean;
}

/** Edge route kinds already registered, per HTTP server: each kind is served once. */
const edgeRoutesByServer = new WeakMap<object, Set<string>>();

type Params = { call_id?: string; session_id: string };
type StartBody = { call_id?: string; call_type: string };

const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/**
 * The session API plugin. Register it on any Fastify instance:
 * `app.register(callwrightRoutes, { launcher, serveOptions })`.
 */
export const callwrightRoutes: FastifyPluginAsync<CallwrightRoutesOptions> = async (app, opts) => {
  const { launcher } = opts;
  if (opts.manageLauncher ?? true) {
    const awaitWarmup = opts.awaitWarmup ?? true;
    app.addHook("onReady", async () => {
      const started = launcher.start();
      if (awaitWarmup) await started;
      // Otherwise whoever runs the server awaits launcher.start() for the outcome.
      else started.catch(() => undefined);
    });
    app.addHook("onClose", async () => {
      await launcher.stop();
    });
  }

  const options = resolveServeOptions(opts.serveOptions);

  // The edge's routes (signalling, a demo page) need the agent's edge: learn it now.
  await launcher.prepare();
  const edgeRoutes = launcher.edgeRoutes;
  if (edgeRoutes !== undefined) {
    let registered = edgeRoutesByServer.get(app.server);
    if (registered === undefined) {
      registered = new Set();
      edgeRoutesByServer.set(app.server, registered);
    }
    if (!registered.has(edgeRoutes.name)) {
      registered.add(edgeRoutes.name);
      // Inside a scope of their own whose hook guards every route naming a call.
      await app.register(async (scope) => {
        scope.addHook("onRequest", joinGuard(options));
        await scope.register(edgeRoutes.plugin);
      });
    }
  }

  // Process-wide metrics of this node's sessions: Prometheus (GET /metrics) and OpenTelemetry.
  const prometheus =
    options.prometheus === false
      ? undefined
      : options.prometheus === true
        ? createPrometheusMetrics()
        : options.prometheus;
  const detach = [
    ...(prometheus === undefined ? [] : [prometheus.attach(launcher)]),
    ...(options.telemetry === false ? [] : [attachTelemetry(launcher, options.telemetry)]),
  ];
  app.addHook("onClose", async () => {
    for (const off of detach) off();
  });

  await app.register(sessionApi, { launcher, options, prometheus });
};

async function sessionApi(
  app: FastifyInstance,
  {
    launcher,
    options,
    prometheus,
  }: { launcher: AgentLauncher; options: ResolvedServeOptions; prometheus: PrometheusMetrics | undefined },
): Promise<void> {
  // Bodies are read as FastAPI reads them (JSON unless another type is declared), and
  // validated into FastAPI's 422 shape; errors answer {"detail": ...}. All scoped to this plugin.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (request, body, done) => {
    try {
      done(null, parseBody(request.headers["content-type"], body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    compileValidator(schema as ObjectSchema, httpPart ?? "body"),
  );
  app.setErrorHandler((error, request, reply) => {
    const answer = answerFor(error, BODY_LIMIT_BYTES);
    logAnswer(request.log, error, answer);
    if (answer.headers !== undefined) reply.headers(answer.headers);
    return reply.code(answer.statusCode).send({ detail: answer.detail });
  });

  const notFound = (reply: FastifyReply, sessionId: string) =>
    reply.code(404).send({ detail: `Session with id '${sessionId}' not found` });

  /** The session named by the path, only if it belongs to the path's call (call-scoped routes). */
  const findSession = async (params: Params): Promise<SessionInfo | null> => {
    const session = await launcher.getSession(params.session_id);
    if (session === null || (params.call_id !== undefined && session.callId !== params.call_id)) return null;
    return session;
  };

  const guarded = (
    permission: Permission,
    context: (request: FastifyRequest) => PermissionContext,
  ): Pick<RouteOptions, "preValidation"> => {
    if (permission === allowAll) return {};
    return {
      preValidation: async (request: FastifyRequest) => {
        await permission(request, context(request));
      },
    };
  };
  const sessionContext = (request: FastifyRequest): PermissionContext => {
    const params = request.params as Partial<Params>;
    return {
      ...(params.call_id === undefined ? {} : { callId: params.call_id }),
      ...(params.session_id === undefined ? {} : { sessionId: params.session_id }),
    };
  };
  const startContext = (request: FastifyRequest): PermissionContext => {
    const params = request.params as Partial<Params>;
    if (params.call_id !== undefined) return { callId: params.call_id };
    const body = request.body as { call_id?: unknown } | undefined;
    return typeof body === "object" && body !== null && typeof body.call_id === "string"
      ? { callId: body.call_id }
      : {};
  };

  const common = { bodyLimit: BODY_LIMIT_BYTES } as const;
  const tags = ["sessions"];
  const routes: Record<string, readonly string[]> = {};
  const route = (definition: RouteOptions): void => {
    const methods = Array.isArray(definition.method) ? definition.method : [definition.method];
    routes[definition.url] = [...(routes[definition.url] ?? []), ...methods];
    app.route({ ...common, ...definition });
  };

  for (const scoped of [false, true]) {
    const base = scoped ? "/calls/:call_id/sessions" : "/sessions";
    const params = scoped ? callSessionParams : sessionParams;
    const family = scoped ? " (call-scoped)" : "";
    const opId = (name: string) => (scoped ? `${name}InCall` : name);

    route({
      method: "POST",
      url: base,
      schema: {
        summary: `Start an agent session in a call${family}`,
        description:
          "Creates an agent and has it join the call in the background; answers without waiting for the call.",
        operationId: opId("startSession"),
        tags,
        ...(scoped ? { params: callParams } : {}),
        body: scoped ? callScopedStartSessionBody : startSessionBody,
        response: {
          201: startSessionResponse,
          422: validationErrorResponse,
          429: errorResponses.tooMany,
          500: errorResponses.failed,
          503: errorResponses.unavailable,
        },
      },
      ...guarded(options.canStartSession, startContext),
      handler: async (request, reply) => {
        const body = (request.body ?? {}) as StartBody;
        const callId = scoped ? (request.params as { call_id: string }).call_id : body.call_id!;
        const session = await launcher.startSession({ callId, callType: body.call_type });
        const minted = mintJoinToken(options.joinTokenSecret, session.callId, options.joinTokenTtlMs);
        return reply.code(201).send({
          ...wireSession(session),
          join_token: minted.token,
          join_token_expires_at: new Date(minted.expiresAtMs).toISOString(),
        });
      },
    });

    route({
      method: "GET",
      url: `${base}/:session_id`,
      schema: {
        summary: `Get a running session${family}`,
        operationId: opId("getSession"),
        tags,
        params,
        response: { 200: sessionResponse, 404: errorResponses.notFound, 422: validationErrorResponse },
      },
      ...guarded(options.canViewSession, sessionContext),
      handler: async (request, reply) => {
        const p = request.params as Params;
        const session = await findSession(p);
        if (session === null) return notFound(reply, p.session_id);
        return reply.send({
          ...wireSession(session),
          call_type: session.callType,
          node_id: session.nodeId,
        });
      },
    });

    const close = async (request: FastifyRequest, reply: FastifyReply) => {
      const p = request.params as Params;
      if (p.call_id !== undefined && (await findSession(p)) === null) return notFound(reply, p.session_id);
      if (!(await launcher.closeSession(p.session_id))) return notFound(reply, p.session_id);
      return reply.code(202).send();
    };
    const closeSchema = (summary: string, name: string) => ({
      summary: `${summary}${family}`,
      operationId: opId(name),
      tags,
      params,
      response: { 202: emptyResponse, 404: errorResponses.notFound, 422: validationErrorResponse },
    });
    route({
      method: "DELETE",
      url: `${base}/:session_id`,
      schema: closeSchema("Close a session: the agent leaves the call", "closeSession"),
      ...guarded(options.canCloseSession, sessionContext),
      handler: close,
    });
    route({
      method: "POST",
      url: `${base}/:session_id/close`,
      schema: {
        ...closeSchema(
          "Close a session (for navigator.sendBeacon, which can only POST)",
          "closeSessionBeacon",
        ),
        description: "Same as DELETE; any body is ignored.",
      },
      ...guarded(options.canCloseSession, sessionContext),
      handler: close,
    });

    route({
      method: "GET",
      url: `${base}/:session_id/metrics`,
      schema: {
        summary: `Get a session's metrics${family}`,
        operationId: opId("getSessionMetrics"),
        tags,
        params,
        response: { 200: metricsResponse, 404: errorResponses.notFound, 422: validationErrorResponse },
      },
      ...guarded(options.canViewMetrics, sessionContext),
      handler: async (request, reply) => {
        const p = request.params as Params;
        const found = await launcher.getSessionMetrics(p.session_id);
        if (found === null || (p.call_id !== undefined && found.session.callId !== p.call_id)) {
          return notFound(reply, p.session_id);
        }
        return reply.send({
          ...wireSession(found.session),
          metrics_generated_at: found.generatedAt,
          metrics: found.metrics,
        });
      },
    });
  }

  route({
    method: "GET",
    url: "/health",
    schema: {
      summary: "Liveness: 200 while the process is alive",
      operationId: "health",
      tags: ["health"],
      response: { 200: { description: "Alive.", type: "null" } },
    },
    handler: (_request, reply) => reply.code(200).send(),
  });
  route({
    method: "GET",
    url: "/ready",
    schema: {
      summary: "Readiness: 200 when this node takes a new session",
      description: "503 before warm-up finished, at capacity, and while draining.",
      operationId: "ready",
      tags: ["health"],
      response: { 200: { description: "Ready.", type: "null" }, 503: errorResponses.unavailable },
    },
    handler: (_request, reply) =>
      launcher.ready ? reply.code(200).send() : reply.code(503).send({ detail: NOT_READY_DETAIL }),
  });

  if (prometheus !== undefined) {
    route({
      method: "GET",
      url: "/metrics",
      schema: {
        summary: "Prometheus metrics of this node (text exposition format)",
        description:
          "Sessions active, started, ended by reason; start, turn and per-provider latency histograms; process metrics. No per-session labels.",
        operationId: "prometheusMetrics",
        tags: ["health"],
      },
      ...guarded(options.canScrapeMetrics, () => ({})),
      handler: async (_request, reply) => reply.type(prometheus.contentType).send(await prometheus.render()),
    });
  }

  // A known path with another method is 405 (as Starlette answers), not 404.
  for (const [url, methods] of Object.entries(routes)) {
    const allowed = methods.includes("GET") ? [...methods, "HEAD"] : methods;
    const others = ALL_METHODS.filter((m) => !allowed.includes(m));
    app.route({
      ...common,
      method: others,
      url,
      schema: { hide: true },
      // Answered before the body is read, so a bad body cannot turn a 405 into a 422.
      onRequest: (_request, reply, done) => {
        reply.code(405).header("allow", allowed.join(", ")).send({ detail: "Method Not Allowed" });
        done();
      },
      handler: (_request, reply) => reply,
    });
  }
}

/**
 * The onRequest hook of the edge's routes: a route whose path names a call (`:call_id`) needs
 * a join token for that call when `requireJoinToken` is on (401 without, 403 with a bad one),
 * then passes `canJoinCall`. Runs before the body is read. Other edge routes (the demo page,
 * `/local/config`) are public.
 */
function joinGuard(options: ResolvedServeOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const callId = (request.params as { call_id?: unknown } | undefined)?.call_id;
    if (typeof callId !== "string") return;
    if (options.requireJoinToken) {
      const token = joinTokenOf(request);
      if (token === undefined) {
        await reply.code(401).send({
          detail: `A join token for this call is required (the join_token of the session start, in the ${JOIN_TOKEN_HEADER} header or the token query parameter)`,
        });
        return reply;
      }
      const check = checkJoinToken(options.joinTokenSecret, token, callId);
      if (check !== "ok") {
        await reply.code(403).send({
          detail:
            check === "expired"
              ? "The join token has expired: start a session again for a new one"
              : "The join token is not valid for this call",
        });
        return reply;
      }
    }
    if (options.canJoinCall !== allowAll) {
      try {
        await options.canJoinCall(request, { callId });
      } catch (error) {
        const answer = answerFor(error, BODY_LIMIT_BYTES);
        if (answer.log) request.log.error({ err: error }, "canJoinCall failed");
        if (answer.headers !== undefined) reply.headers(answer.headers);
        await reply.code(answer.statusCode).send({ detail: answer.detail });
        return reply;
      }
    }
  };
}

/** A session's identity as the wire has it (snake_case), shared by every session response. */
function wireSession(session: SessionInfo): {
  session_id: string;
  call_id: string;
  session_started_at: string;
} {
  return { session_id: session.sessionId, call_id: session.callId, session_started_at: session.startedAt };
}
