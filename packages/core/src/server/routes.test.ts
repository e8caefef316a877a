// The session API against docs/http-api.md, row by row, for both route families.
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { AgentLauncher } from "../launcher/launcher.js";
import type { AgentLauncherOptions } from "../launcher/options.js";
import type { SessionEndedEvent } from "../launcher/types.js";
import { silentLogger } from "../log/index.js";
import { MemoryRegistry } from "../registry/memory.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";
import type { ServeOptions } from "./options.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function setup(launcherOptions: Partial<AgentLauncherOptions> = {}, serveOptions: ServeOptions = {}) {
  const edges: FakeEdge[] = [];
  const launcher = new AgentLauncher({
    createAgent: () => {
      const edge = new FakeEdge();
      edges.push(edge);
      return new Agent({ edge });
    },
    joinCall: async (agent, callType, callId) => {
      await agent.join(await agent.createCall(callType, callId), () => agent.finish());
    },
    logger: silentLogger,
    maintenanceIntervalMs: 20,
    registryTtlMs: 1_000,
    ...launcherOptions,
  });
  recordEndings(launcher);
  const app = buildServer(launcher, serveOptions);
  apps.push(app);
  return { app, launcher, edges };
}

/** Every session end of `launcher`, recorded from its creation, so no end is missed. */
const endings = new WeakMap<AgentLauncher, Map<string, SessionEndedEvent>>();

function recordEndings(launcher: AgentLauncher): void {
  const seen = new Map<string, SessionEndedEvent>();
  endings.set(launcher, seen);
  launcher.on("session_ended", (e) => seen.set(e.sessionId, e));
}

/** Resolves with the session's end, whether it already happened or is still to come. */
function ended(launcher: AgentLauncher, sessionId: string): Promise<SessionEndedEvent> {
  const past = endings.get(launcher)?.get(sessionId);
  if (past !== undefined) return Promise.resolve(past);
  return new Promise((resolve) => {
    const off = launcher.on("session_ended", (e) => {
      if (e.sessionId === sessionId) {
        off();
        resolve(e);
      }
    });
  });
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const families = [
  {
    name: "flat",
    start: (app: FastifyInstance, callId: string, callType?: string) =>
      app.inject({
        method: "POST",
        url: "/sessions",
        payload: callType === undefined ? { call_id: callId } : { call_id: callId, call_type: callType },
      }),
    session: (_callId: string, id: string) => `/sessions/${id}`,
  },
  {
    name: "call-scoped",
    start: (app: FastifyInstance, callId: string, callType?: string) =>
      app.inject({
        method: "POST",
        url: `/calls/${callId}/sessions`,
        payload: callType === undefined ? {} : { call_type: callType },
      }),
    session: (callId: string, id: string) => `/calls/${callId}/sessions/${id}`,
  },
];

describe.each(families)("session routes ($name)", ({ start, session }) => {
  it("POST starts a session: 201 with session_id (UUID v4), call_id and an ISO UTC start", async () => {
    const { app, launcher, edges } = setup();
    const res = await start(app, "call-1", "audio_room");
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual([
      "call_id",
      "join_token",
      "join_token_expires_at",
      "session_id",
      "session_started_at",
    ]);
    expect(body.session_id).toMatch(UUID_V4);
    expect(body.call_id).toBe("call-1");
    expect(body.session_started_at).toMatch(ISO_UTC);
    expect(launcher.stats.running).toBe(1);
    // the agent joins the call it was asked for, in the background
    await new Promise((r) => setImmediate(r));
    expect(edges[1]?.connection.call).toEqual({ type: "audio_room", id: "call-1" });
  });

  it("call_type defaults to 'default'", async () => {
    const { app, edges } = setup();
    expect((await start(app, "call-1")).statusCode).toBe(201);
    await new Promise((r) => setImmediate(r));
    expect(edges[1]?.connection.call.type).toBe("default");
  });

  it("GET returns the session (200), then 404 once it is closed with DELETE (202, empty body)", async () => {
    const { app, launcher } = setup();
    const { session_id: id, session_started_at } = (await start(app, "call-1")).json();
    const got = await app.inject({ method: "GET", url: session("call-1", id) });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({
      session_id: id,
      call_id: "call-1",
      session_started_at,
      call_type: "default",
    });
    expect(got.json().node_id).toBe(launcher.nodeId);

    const end = ended(launcher, id);
    const del = await app.inject({ method: "DELETE", url: session("call-1", id) });
    expect(del.statusCode).toBe(202);
    expect(del.body).toBe("");
    expect((await end).reason).toBe("closed");
    const gone = await app.inject({ method: "GET", url: session("call-1", id) });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ detail: `Session with id '${id}' not found` });
  });

  it("POST .../close closes like DELETE (for sendBeacon), whatever body the beacon carries", async () => {
    const { app, launcher } = setup();
    const { session_id: id } = (await start(app, "call-1")).json();
    const end = ended(launcher, id);
    const res = await app.inject({
      method: "POST",
      url: `${session("call-1", id)}/close`,
      headers: { "content-type": "text/plain;charset=UTF-8" },
      payload: "bye",
    });
    expect(res.statusCode).toBe(202);
    expect(res.body).toBe("");
    expect((await end).reason).toBe("closed");
    expect((await app.inject({ method: "GET", url: session("call-1", id) })).statusCode).toBe(404);
  });

  it("GET .../metrics: 200 with every metric name, averages null and totals 0 before any sample", async () => {
    const { app, launcher } = setup();
    const { session_id: id, session_started_at } = (await start(app, "call-1")).json();
    launcher.localAgent(id)?.metrics.observe("llm_latency_ms__avg", 40);
    launcher.localAgent(id)?.metrics.observe("llm_latency_ms__avg", 60);
    launcher.localAgent(id)?.metrics.add("llm_input_tokens__total", 12);
    const res = await app.inject({ method: "GET", url: `${session("call-1", id)}/metrics` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ session_id: id, call_id: "call-1", session_started_at });
    expect(body.metrics_generated_at).toMatch(ISO_UTC);
    expect(body.metrics).toMatchObject({
      llm_latency_ms__avg: 50,
      llm_time_to_first_token_ms__avg: null,
      llm_input_tokens__total: 12,
      llm_output_tokens__total: 0,
      stt_latency_ms__avg: null,
      tts_latency_ms__avg: null,
    });
  });

  it("unknown sessions are 404 with the contract's detail on GET, metrics, DELETE and close", async () => {
    const { app } = setup();
    const id = "3f1c0a4e-1111-4222-8333-444455556666";
    for (const [method, suffix] of [
      ["GET", ""],
      ["GET", "/metrics"],
      ["DELETE", ""],
      ["POST", "/close"],
    ] as const) {
      const res = await app.inject({ method, url: `${session("call-1", id)}${suffix}` });
      expect(res.statusCode, `${method} ${suffix}`).toBe(404);
      expect(res.json()).toEqual({ detail: `Session with id '${id}' not found` });
    }
  });
});

describe("session routes (both families together)", () => {
  it("a call-scoped route does not reach a session of another call", async () => {
    const { app } = setup();
    const { session_id: id } = (
      await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "a" } })
    ).json();
    expect((await app.inject({ method: "GET", url: `/calls/a/sessions/${id}` })).statusCode).toBe(200);
    for (const [method, suffix] of [
      ["GET", ""],
      ["GET", "/metrics"],
      ["DELETE", ""],
      ["POST", "/close"],
    ] as const) {
      const res = await app.inject({ method, url: `/calls/b/sessions/${id}${suffix}` });
      expect(res.statusCode).toBe(404);
    }
    // still alive: the wrong-call DELETE did nothing
    expect((await app.inject({ method: "GET", url: `/sessions/${id}` })).statusCode).toBe(200);
  });

  it("closing an already-closing session is still 202", async () => {
    let release!: () => void;
    const closing = new Promise<void>((r) => {
      release = r;
    });
    let created = 0;
    const { app, launcher } = setup({
      createAgent: () => {
        const agent = new Agent({ edge: new FakeEdge() });
        created += 1;
        if (created === 1) return agent; // the warm-up agent closes normally
        const close = agent.close.bind(agent);
        agent.close = async (reason) => {
          await closing; // the agent takes a while to leave
          await close(reason);
        };
        return agent;
      },
    });
    const { session_id: id } = (
      await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } })
    ).json();
    const end = ended(launcher, id);
    expect((await app.inject({ method: "DELETE", url: `/sessions/${id}` })).statusCode).toBe(202);
    expect(launcher.stats.closing).toBe(1);
    expect((await app.inject({ method: "DELETE", url: `/sessions/${id}` })).statusCode).toBe(202);
    expect((await app.inject({ method: "POST", url: `/sessions/${id}/close` })).statusCode).toBe(202);
    release();
    await end;
    expect((await app.inject({ method: "DELETE", url: `/sessions/${id}` })).statusCode).toBe(404);
  });

  it("a session started on one node is found, metered and closed from another sharing the registry", async () => {
    const registry = new MemoryRegistry();
    const a = setup({ registry, nodeId: "node-a" });
    const b = setup({ registry: sharedView(registry), nodeId: "node-b" });
    const { session_id: id } = (
      await a.app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } })
    ).json();
    const got = await b.app.inject({ method: "GET", url: `/sessions/${id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json().node_id).toBe("node-a");
    a.launcher.localAgent(id)?.metrics.add("llm_output_tokens__total", 7);
    await a.launcher.runMaintenance();
    const metrics = await b.app.inject({ method: "GET", url: `/sessions/${id}/metrics` });
    expect(metrics.json().metrics.llm_output_tokens__total).toBe(7);

    const end = ended(a.launcher, id);
    expect((await b.app.inject({ method: "DELETE", url: `/sessions/${id}` })).statusCode).toBe(202);
    expect((await end).reason).toBe("closed"); // within a maintenance interval of node a
    expect((await b.app.inject({ method: "GET", url: `/sessions/${id}` })).statusCode).toBe(404);
  });

  it("a crashing joinCall ends only that session; the server goes on", async () => {
    const { app, launcher } = setup({
      joinCall: async (agent, type, callId) => {
        if (callId === "bad") throw new Error("the call exploded");
        await agent.join(await agent.createCall(type, callId), () => agent.finish());
      },
    });
    const good = (
      await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "good" } })
    ).json();
    const badRes = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "bad" } });
    expect(badRes.statusCode).toBe(201); // the join runs in the background
    const end = await ended(launcher, badRes.json().session_id);
    expect(end.reason).toBe("error");
    expect(
      (await app.inject({ method: "GET", url: `/sessions/${badRes.json().session_id}` })).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: "GET", url: `/sessions/${good.session_id}` })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });

  it("createAgent failing is 500 `Failed to start agent`, without the cause", async () => {
    let fail = false;
    const { app } = setup({
      createAgent: () => {
        if (fail) throw new Error("secret-key-123 rejected");
        return new Agent({ edge: new FakeEdge() });
      },
    });
    await app.ready();
    fail = true;
    const res = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: "Failed to start agent" });
    expect(res.body).not.toContain("secret");
  });
});

describe("limits over HTTP", () => {
  it("50 concurrent POSTs: exactly maxConcurrentSessions get 201, the rest 429", async () => {
    const { app, launcher } = setup({ maxConcurrentSessions: 4 });
    await app.ready();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.inject({ method: "POST", url: "/sessions", payload: { call_id: `call-${i}` } }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(4);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(refused).toHaveLength(46);
    for (const r of refused) {
      expect(r.statusCode).toBe(429);
      expect(r.json()).toEqual({ detail: "Reached maximum number of concurrent sessions" });
    }
    expect(launcher.stats.running).toBe(4);
    expect((await app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(503);
  });

  it("50 concurrent POSTs into one call: exactly maxSessionsPerCall get 201, the rest 429", async () => {
    const { app } = setup({ maxSessionsPerCall: 2 });
    await app.ready();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? app.inject({ method: "POST", url: "/sessions", payload: { call_id: "same" } })
          : app.inject({ method: "POST", url: "/calls/same/sessions" }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
    for (const r of results.filter((r) => r.statusCode !== 201)) {
      expect(r.statusCode).toBe(429);
      expect(r.json()).toEqual({ detail: "Reached maximum number of sessions for this call" });
    }
    // another call is not full
    expect(
      (await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "other" } })).statusCode,
    ).toBe(201);
  });

  it("an idle session (agent alone) closes by itself and disappears", async () => {
    const { app, launcher, edges } = setup({ agentIdleTimeoutMs: 50 });
    const { session_id: id } = (
      await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } })
    ).json();
    await new Promise((r) => setImmediate(r));
    const connection = edges[1]!.connection;
    connection.join("alice");
    const end = ended(launcher, id);
    connection.leave("alice");
    expect((await end).reason).toBe("idle");
    expect((await app.inject({ method: "GET", url: `/sessions/${id}` })).statusCode).toBe(404);
  });

  it("a session closes at maxSessionDurationMs", async () => {
    const { app, launcher } = setup({ maxSessionDurationMs: 60, agentIdleTimeoutMs: 0 });
    const { session_id: id } = (
      await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } })
    ).json();
    expect((await ended(launcher, id)).reason).toBe("duration");
    expect((await app.inject({ method: "GET", url: `/sessions/${id}` })).statusCode).toBe(404);
  });
});

describe("/health and /ready", () => {
  it("/health is 200 while the process is up; /ready is 503 before warm-up, 200 after, 503 draining", async () => {
    let warm!: () => void;
    const warming = new Promise<void>((r) => {
      warm = r;
    });
    const { app, launcher } = setup({
      createAgent: () => {
        const agent = new Agent({ edge: new FakeEdge() });
        agent.warmup = () => warming;
        return agent;
      },
    });
    const server = buildServer(launcher, {}, { awaitWarmup: false });
    apps.push(server);
    void app; // the first app is not used: one launcher, one server here
    await server.ready();
    expect((await server.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    const notReady = await server.inject({ method: "GET", url: "/ready" });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ detail: "Server is not ready to accept requests" });
    const early = await server.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } });
    expect(early.statusCode).toBe(503);
    expect(early.json()).toEqual({ detail: "Server is not ready to accept requests" });

    warm();
    await launcher.start();
    expect((await server.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);

    void launcher.drain();
    expect((await server.inject({ method: "GET", url: "/ready" })).statusCode).toBe(503);
    const draining = await server.inject({ method: "POST", url: "/sessions", payload: { call_id: "c" } });
    expect(draining.statusCode).toBe(503);
    expect((await server.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });
});

/** The same registry for a second node, which must not close it when that node stops. */
function sharedView(registry: MemoryRegistry): MemoryRegistry {
  return new Proxy(registry, {
    get(target, prop) {
      if (prop === "close") return async () => {};
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
