// buildServer: the HTTP app `serve` runs (not listening: call `listen` yourself), or the
// session routes mounted on your own Fastify instance.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyReply, LogController } from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { AgentLauncher } from "../launcher/launcher.js";
import { corsHook } from "./cors.js";
import { answerFor } from "./errors.js";
import { resolveServeOptions, type ServeOptions } from "./options.js";
import { BODY_LIMIT_BYTES, callwrightRoutes } from "./routes.js";

export interface BuildServerOptions {
  /**
   * The HTTP server's logger (Fastify's). Default none (silent). Requests are logged one by one
   * only when its level is debug or lower, so the hot path stays lean at info.
   */
  httpLogger?: PinoLogger;
  /** Whether `ready()`/`listen()` wait for the agent's warm-up. Default true (see CallwrightRoutesOptions). */
  awaitWarmup?: boolean;
}

/** Longest path parameter the router matches (ids over 256 characters still get a clear 422). */
const MAX_PARAM_LENGTH = 8 * 1024;

/**
 * The HTTP app for `launcher`: the session API (both route families, /health, /ready),
 * OpenAPI at `/docs` (JSON at `/openapi.json`), CORS, `{"detail"}` errors, 404 and 405 in
 * FastAPI's shape, and the edge's routes. The launcher starts when the app is ready and
 * stops when it closes.
 *
 * With `serveOptions.app`, the session routes are registered on that instance instead, as
 * an encapsulated plugin, and nothing global is applied (no CORS, error or not-found handler,
 * logger or OpenAPI): that instance is returned.
 */
export function buildServer(
  launcher: AgentLauncher,
  serveOptions: ServeOptions = {},
  options: BuildServerOptions = {},
): FastifyInstance {
  const resolved = resolveServeOptions(serveOptions);
  const routesOptions = {
    launcher,
    serveOptions: resolved,
    ...(options.awaitWarmup === undefined ? {} : { awaitWarmup: options.awaitWarmup }),
  };
  if (resolved.app !== undefined) {
    resolved.app.register(callwrightRoutes, routesOptions);
    return resolved.app;
  }

  const logger = options.httpLogger;
  const app = Fastify({
    ...(logger === undefined ? {} : { loggerInstance: logger }),
    logController: new LogController({
      disableRequestLogging: logger === undefined || !logger.isLevelEnabled("debug"),
    }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL...) answer in the same shape.
    frameworkErrors: (error, _request, reply) => {
      (reply as FastifyReply).code(error.statusCode ?? 400).send({ detail: error.message });
    },
  }) as unknown as FastifyInstance;

  app.addHook(
    "onRequest",
    corsHook({
      allowOrigins: resolved.corsAllowOrigins,
      allowMethods: resolved.corsAllowMethods,
      allowHeaders: resolved.corsAllowHeaders,
      allowCredentials: resolved.corsAllowCredentials,
    }),
  );
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ detail: "Not Found" }));
  app.setErrorHandler((error, request, reply) => {
    const answer = answerFor(error, BODY_LIMIT_BYTES);
    if (answer.log) request.log.error({ err: error }, "request failed");
    if (answer.headers !== undefined) reply.headers(answer.headers);
    return reply.code(answer.statusCode).send({ detail: answer.detail });
  });

  app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "callwright agent server",
        description:
          "Start, inspect, meter and stop voice agent sessions (wire-compatible with Vision Agents).",
        version: "0.1.0",
      },
    },
  });
  app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, (_request, reply) => reply.send(app.swagger()));
  app.register(callwrightRoutes, routesOptions);
  return app;
}
