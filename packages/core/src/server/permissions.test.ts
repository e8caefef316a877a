// The four permission callables: the seed's X-API-Key example, the context they get, and
// what a callable that throws something other than an HttpError produces.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { CallwrightError, HttpError } from "../errors/index.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { MemoryRegistry } from "../registry/memory.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";
import type { PermissionContext, ServeOptions } from "./options.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function serve(serveOptions: ServeOptions, logLines?: string[]) {
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new FakeEdge() }),
    joinCall: async (agent, type, id) => {
      await agent.join(await agent.createCall(type, id), () => agent.finish());
    },
    logger: silentLogger,
  });
  const httpLogger =
    logLines === undefined
      ? undefined
      : pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
  const app = buildServer(launcher, serveOptions, httpLogger === undefined ? {} : { httpLogger });
  apps.push(app);
  return app;
}

/** The seed's example: every route but /health and /ready needs the right X-API-Key. */
function requireApiKey(request: FastifyRequest): void {
  if (request.headers["x-api-key"] !== "secret-key") throw new HttpError(401, "Invalid API key");
}

describe("permissions", () => {
  it("the X-API-Key example: 401 `Invalid API key` without the header, 201 with it", async () => {
    const app = serve({
      canStartSession: requireApiKey,
      canCloseSession: requireApiKey,
      canViewSession: requireApiKey,
      canViewMetrics: requireApiKey,
    });
    const refused = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ detail: "Invalid API key" });
    const wrongKey = await app.inject({
      method: "POST",
      url: "/calls/c/sessions",
      headers: { "x-api-key": "guess" },
    });
    expect(wrongKey.statusCode).toBe(401);

    const key = { "x-api-key": "secret-key" };
    const ok = await app.inject({
      method: "POST",
      url: "/sessions",
      payload: { call_id: "c" },
      headers: key,
    });
    expect(ok.statusCode).toBe(201);
    const id = ok.json().session_id;
    for (const [method, url] of [
      ["GET", `/sessions/${id}`],
      ["GET", `/sessions/${id}/metrics`],
      ["GET", `/calls/c/sessions/${id}`],
      ["DELETE", `/sessions/${id}`],
      ["POST", `/sessions/${id}/close`],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json()).toEqual({ detail: "Invalid API key" });
    }
    expect((await app.inject({ method: "GET", url: `/sessions/${id}`, headers: key })).statusCode).toBe(200);
    expect((await app.inject({ method: "DELETE", url: `/sessions/${id}`, headers: key })).statusCode).toBe(
      202,
    );
    // health and readiness are open
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);
  });

  it("runs before body validation, so an unauthorized client learns nothing from a 422", async () => {
    const app = serve({ canStartSession: requireApiKey });
    const res = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: 42 } });
    expect(res.statusCode).toBe(401);
  });

  it("each callable guards only its routes, and gets { callId, sessionId } from the request", async () => {
    const seen: [string, PermissionContext][] = [];
    const record =
      (name: string) =>
      (_request: FastifyRequest, context: PermissionContext): void => {
        seen.push([name, context]);
      };
    const app = serve({
      canStartSession: record("start"),
      canCloseSession: record("close"),
      canViewSession: record("view"),
      canViewMetrics: record("metrics"),
    });
    const id = (await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c1" } })).json()
      .session_id;
    await app.inject({ method: "POST", url: "/calls/c2/sessions" });
    await app.inject({ method: "GET", url: `/sessions/${id}` });
    await app.inject({ method: "GET", url: `/calls/c1/sessions/${id}/metrics` });
    await app.inject({ method: "POST", url: `/calls/c1/sessions/${id}/close` });
    await app.inject({ method: "DELETE", url: `/sessions/${id}` });
    expect(seen).toEqual([
      ["start", { callId: "c1" }],
      ["start", { callId: "c2" }],
      ["view", { sessionId: id }],
      ["metrics", { callId: "c1", sessionId: id }],
      ["close", { callId: "c1", sessionId: id }],
      ["close", { sessionId: id }],
    ]);
  });

  it("a refusal may carry any status, detail and headers (403 with an object)", async () => {
    const app = serve({
      canViewSession: () => {
        throw new HttpError(403, { reason: "not your session" }, { "www-authenticate": "Bearer" });
      },
    });
    const res = await app.inject({ method: "GET", url: "/sessions/abc" });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ detail: { reason: "not your session" } });
    expect(res.headers["www-authenticate"]).toBe("Bearer");
  });

  it("an async callable that rejects with a non-HTTP error is a 500 `Internal Server Error`, cause logged", async () => {
    const lines: string[] = [];
    const app = serve(
      {
        canStartSession: async () => {
          throw new Error("auth database unreachable");
        },
      },
      lines,
    );
    const res = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: "Internal Server Error" });
    expect(res.body).not.toContain("auth database");
    expect(lines.join("\n")).toContain("auth database unreachable");
  });

  it("an error with a statusCode that is not an HttpError is still a 500 (never leaks an upstream 4xx)", async () => {
    const app = serve({
      canStartSession: () => {
        throw Object.assign(new Error("upstream said 404"), { statusCode: 404 });
      },
    });
    const res = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: "Internal Server Error" });
  });
});

describe("registry outage", () => {
  it("a registry that cannot be reached answers 503, not 500", async () => {
    const registry = new MemoryRegistry();
    registry.get = async () => {
      throw new CallwrightError("Redis is unreachable", { code: "registry_unavailable" });
    };
    const launcher = new AgentLauncher({
      createAgent: () => new Agent({ edge: new FakeEdge() }),
      joinCall: async () => {},
      logger: silentLogger,
      registry,
    });
    const app = buildServer(launcher);
    apps.push(app);
    const res = await app.inject({ method: "GET", url: "/sessions/abc" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ detail: "Server is not ready to accept requests" });
  });
});
