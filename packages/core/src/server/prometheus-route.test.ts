// GET /metrics: the node's Prometheus text, beside the per-session JSON metrics route; and the
// server's OpenTelemetry wiring.
import { type Span, type Tracer, type TracerProvider, trace } from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { HttpError } from "../errors/index.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { createPrometheusMetrics } from "../observability/prometheus.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function server(serveOptions: Parameters<typeof buildServer>[1] = {}): Promise<FastifyInstance> {
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new FakeEdge() }),
    joinCall: async (agent, type, id) => {
      await agent.join(await agent.createCall(type, id), () => agent.finish());
    },
    logger: silentLogger,
  });
  const app = buildServer(launcher, serveOptions);
  apps.push(app);
  await app.ready();
  return app;
}

function series(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe("GET /metrics", () => {
  it("answers the node's sessions in the Prometheus text format", async () => {
    const app = await server();
    let res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(series(res.body, "callwright_sessions_active")).toBe(0);
    expect(series(res.body, "callwright_node_ready")).toBe(1);
    expect(res.body).toContain("process_resident_memory_bytes");

    const started = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c1" } });
    expect(started.statusCode).toBe(201);
    const id = started.json().session_id as string;
    res = await app.inject({ method: "GET", url: "/metrics" });
    expect(series(res.body, "callwright_sessions_active")).toBe(1);
    expect(series(res.body, "callwright_sessions_started_total")).toBe(1);
    expect(series(res.body, "callwright_session_start_seconds_count")).toBe(1);
    expect(res.body).not.toContain(id);

    // the per-session route is unchanged
    const perSession = await app.inject({ method: "GET", url: `/sessions/${id}/metrics` });
    expect(perSession.statusCode).toBe(200);
    expect(perSession.json()).toMatchObject({ session_id: id, call_id: "c1" });
    expect((await app.inject({ method: "POST", url: "/metrics" })).statusCode).toBe(405);
  });

  it("keeps two servers in one process apart", async () => {
    const a = await server();
    const b = await server();
    await a.inject({ method: "POST", url: "/sessions", payload: { call_id: "c1" } });
    const textA = (await a.inject({ method: "GET", url: "/metrics" })).body;
    const textB = (await b.inject({ method: "GET", url: "/metrics" })).body;
    expect(series(textA, "callwright_sessions_started_total")).toBe(1);
    expect(series(textB, "callwright_sessions_started_total")).toBe(0);
  });

  it("can be turned off, guarded, or given a registry of your own", async () => {
    const off = await server({ prometheus: false });
    expect((await off.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(404);

    const guarded = await server({
      canScrapeMetrics: (request: FastifyRequest) => {
        if (request.headers.authorization !== "Bearer scrape") throw new HttpError(401, "Invalid token");
      },
    });
    const refused = await guarded.inject({ method: "GET", url: "/metrics" });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ detail: "Invalid token" });
    const allowed = await guarded.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: "Bearer scrape" },
    });
    expect(allowed.statusCode).toBe(200);

    const mine = createPrometheusMetrics({ processMetrics: false, prefix: "myapp_callwright_" });
    const custom = await server({ prometheus: mine });
    await custom.inject({ method: "POST", url: "/sessions", payload: { call_id: "c1" } });
    const text = (await custom.inject({ method: "GET", url: "/metrics" })).body;
    expect(series(text, "myapp_callwright_sessions_started_total")).toBe(1);
    expect(text).not.toContain("process_resident_memory_bytes");
  });
});

/** A tracer provider that only records the names of the spans started (ended ones too). */
function namingTracerProvider(): { provider: TracerProvider; started: string[]; ended: string[] } {
  const started: string[] = [];
  const ended: string[] = [];
  const span = (name: string): Span =>
    ({
      spanContext: () => ({ traceId: "1".repeat(32), spanId: "1".repeat(16), traceFlags: 1 }),
      setAttribute: () => undefined,
      setAttributes: () => undefined,
      addEvent: () => undefined,
      setStatus: () => undefined,
      recordException: () => undefined,
      isRecording: () => true,
      end: () => ended.push(name),
    }) as unknown as Span;
  const tracer = {
    startSpan: (name: string) => {
      started.push(name);
      return span(name);
    },
  } as unknown as Tracer;
  return { provider: { getTracer: () => tracer }, started, ended };
}

describe("OpenTelemetry through the server", () => {
  it("records session spans with the providers given, and none with telemetry: false", async () => {
    const on = namingTracerProvider();
    const app = await server({ telemetry: { tracerProvider: on.provider } });
    const started = await app.inject({ method: "POST", url: "/sessions", payload: { call_id: "c1" } });
    const id = started.json().session_id as string;
    expect(on.started).toEqual(["callwright.session", "callwright.session.start"]);
    await app.inject({ method: "DELETE", url: `/sessions/${id}` });
    await app.close();
    expect(on.ended).toContain("callwright.session");
  });

  it("uses a globally registered SDK by default, and never with telemetry: false", async () => {
    const global = namingTracerProvider();
    trace.setGlobalTracerProvider(global.provider);
    try {
      const quiet = await server({ telemetry: false });
      await quiet.inject({ method: "POST", url: "/sessions", payload: { call_id: "c1" } });
      expect(global.started).toEqual([]);
      const traced = await server();
      await traced.inject({ method: "POST", url: "/sessions", payload: { call_id: "c2" } });
      expect(global.started).toContain("callwright.session");
    } finally {
      trace.disable();
    }
  });
});
