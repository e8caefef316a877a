// buildServer: the HTTP app `serve` runs (not listening: call `listen` yourself), or the
// session routes mounted on your own Fastify instance.
import type { Socket } from "node:net";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyReply, LogController } from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { AgentLauncher } from "../launcher/launcher.js";
import { corsHook } from "./cors.js";
import { answerFor, logAnswer } from "./errors.js";
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

/**
 * How often Node looks for stalled requests: often enough that a timeout is kept to within
 * about a second (or a quarter of it when shorter), never more than 4 times a second.
 */
function checkingIntervalMs(requestTimeoutMs: number, headersTimeoutMs: number): number {
  const shortest = Math.min(...[requestTimeoutMs, headersTimeoutMs].filter((ms) => ms > 0), 4_000);
  return Math.max(250, Math.floor(shortest / 4));
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "The request did not arrive in time"],
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "The request's headers are too large"],
};

/**
 * Answers a request Node's HTTP parser refused (or timed out) in the API's `{"detail": ...}`
 * shape, then closes the connection. A reset connection gets nothing. Logged at debug, without
 * a stack: it is the client's error, not the server's.
 */
function clientErrorAnswer(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  const code = error.code ?? "";
  this.log.debug({ code }, "client error");
  if (code === "ECONNRESET" || socket.destroyed) return;
  const [status, reason, detail] = CLIENT_ERRORS[code] ?? [400, "Bad Request", "Bad Request"];
  if (socket.writable) {
    const body = JSON.stringify({ detail });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
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
  const requestTimeoutMs = resolved.requestTimeoutMs;
  const headersTimeoutMs =
    requestTimeoutMs === 0
      ? resolved.headersTimeoutMs
      : Math.min(resolved.headersTimeoutMs, requestTimeoutMs);
  const app = Fastify({
    ...(logger === undefined ? {} : { loggerInstance: logger }),
    // A stalled request (slow headers, a body that never ends) is answered 408 and closed.
    requestTimeout: requestTimeoutMs,
    http: {
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(requestTimeoutMs, headersTimeoutMs),
    },
    // Errors of Node's HTTP parser (bad request line, huge headers, timeouts) answer {"detail"}.
    clientErrorHandler: clientErrorAnswer,
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
    logAnswer(request.log, error, answer);
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
