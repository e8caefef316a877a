// The session routes on the user's own Fastify instance, the routes plugin by hand, the
// edge's routes, and the server over a real socket on 127.0.0.1.

import type { EdgeHttpRoutes } from "@callwright/spec";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { HttpError } from "../errors/index.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";
import { callwrightRoutes } from "./routes.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** A FakeEdge that serves a demo page, as the local WebRTC edge does. */
class PageEdge extends FakeEdge {
  static registrations = 0;
  httpRoutes(): EdgeHttpRoutes {
    return {
      name: "page-edge",
      plugin: async (app) => {
        PageEdge.registrations += 1;
        app.get("/demo", async () => ({ page: "demo" }));
      },
    };
  }
  demoUrl(call: { id: string }, baseUrl: string): string {
    return `${baseUrl}/demo?call_id=${call.id}`;
  }
}

function newLauncher(edge: () => FakeEdge = () => new FakeEdge()) {
  return new AgentLauncher({
    createAgent: () => new Agent({ edge: edge() }),
    joinCall: async (agent, type, id) => {
      await agent.join(await agent.createCall(type, id), () => agent.finish());
    },
    logger: silentLogger,
  });
}

function requireApiKey(request: FastifyRequest): void {
  if (request.headers["x-api-key"] !== "k") throw new HttpError(401, "Invalid API key");
}

describe("a custom app (serveOptions.app)", () => {
  it("gets our routes beside its own, guarded by our permissions, and nothing global", async () => {
    const user = Fastify();
    apps.push(user);
    user.get("/custom", async () => ({ mine: true }));
    user.get("/boom", async () => {
      throw new Error("user route failed");
    });
    const launcher = newLauncher();
    const returned = buildServer(launcher, { app: user, canStartSession: requireApiKey });
    expect(returned).toBe(user);
    await user.ready();
    expect(launcher.ready).toBe(true); // the launcher started with the app

    expect((await user.inject({ method: "GET", url: "/custom" })).json()).toEqual({ mine: true });
    const refused = await user.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ detail: "Invalid API key" });
    const ok = await user.inject({
      method: "POST",
      url: "/sessions",
      payload: { call_id: "c" },
      headers: { "x-api-key": "k" },
    });
    expect(ok.statusCode).toBe(201);
    expect((await user.inject({ method: "GET", url: `/sessions/${ok.json().session_id}` })).statusCode).toBe(
      200,
    );
    expect((await user.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);

    // nothing global: the user's 404, error shape, no CORS, no OpenAPI of ours
    const notFound = await user.inject({ method: "GET", url: "/nope" });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).not.toHaveProperty("detail");
    const boom = await user.inject({ method: "GET", url: "/boom" });
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).not.toHaveProperty("detail");
    const cors = await user.inject({ method: "GET", url: "/custom", headers: { origin: "https://a.com" } });
    expect(cors.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await user.inject({ method: "GET", url: "/docs" })).statusCode).toBe(404);

    await user.close();
    apps.splice(apps.indexOf(user), 1);
    expect(launcher.ready).toBe(false); // stopped with the app
    expect(launcher.stats.occupied).toBe(0);
  });

  it("leaves the user's own body parsing alone", async () => {
    const user = Fastify();
    apps.push(user);
    user.post("/echo", async (request) => ({ got: request.body }));
    buildServer(newLauncher(), { app: user });
    const res = await user.inject({
      method: "POST",
      url: "/echo",
      payload: "plain",
      headers: { "content-type": "text/plain" },
    });
    expect(res.json()).toEqual({ got: "plain" });
    const bad = await user.inject({
      method: "POST",
      url: "/echo",
      payload: "{",
      headers: { "content-type": "application/json" },
    });
    expect(bad.statusCode).toBe(400); // Fastify's own answer, not our 422
  });
});

describe("callwrightRoutes by hand", () => {
  it("mounts under a prefix, with the edge's routes once per server", async () => {
    const app = Fastify();
    apps.push(app);
    PageEdge.registrations = 0;
    const a = newLauncher(() => new PageEdge());
    const b = newLauncher(() => new PageEdge());
    await app.register(callwrightRoutes, { launcher: a, prefix: "/agents" });
    await app.register(callwrightRoutes, { launcher: b, prefix: "/other" });
    await app.ready();
    expect(PageEdge.registrations).toBe(1);
    expect((await app.inject({ method: "GET", url: "/agents/demo" })).json()).toEqual({ page: "demo" });
    const res = await app.inject({ method: "POST", url: "/agents/sessions", payload: { call_id: "c" } });
    expect(res.statusCode).toBe(201);
    expect((await app.inject({ method: "GET", url: "/other/health" })).statusCode).toBe(200);
    expect(a.demoUrl({ type: "default", id: "c" }, "http://h")).toBe("http://h/demo?call_id=c");
  });
});

describe("over a real socket", () => {
  it("serves the API on 127.0.0.1 with keep-alive, CORS and the edge's page", async () => {
    const launcher = newLauncher(() => new PageEdge());
    const app = buildServer(launcher);
    apps.push(app);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const base = `http://127.0.0.1:${address.port}`;

    const started = await fetch(`${base}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://a.com" },
      body: JSON.stringify({ call_id: "sock" }),
    });
    expect(started.status).toBe(201);
    expect(started.headers.get("access-control-allow-origin")).toBe("*");
    const { session_id: id } = (await started.json()) as { session_id: string };
    expect((await fetch(`${base}/sessions/${id}`)).status).toBe(200);
    const metrics = (await (await fetch(`${base}/calls/sock/sessions/${id}/metrics`)).json()) as {
      metrics: Record<string, unknown>;
    };
    expect(metrics.metrics).toHaveProperty("tts_latency_ms__avg", null);
    expect((await fetch(`${base}/sessions/${id}`, { method: "DELETE" })).status).toBe(202);
    expect((await fetch(`${base}/sessions/${id}`)).status).toBe(404);
    expect((await fetch(`${base}/demo`)).status).toBe(200);

    const preflight = await fetch(`${base}/sessions`, {
      method: "OPTIONS",
      headers: { origin: "https://a.com", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://a.com");

    const huge = await fetch(`${base}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ call_id: "c", pad: "x".repeat(100_000) }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({ detail: "Request body is too large (limit 65536 bytes)" });
  });
});
