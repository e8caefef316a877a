// Several `serve` processes on one Redis, as users run them behind a load balancer: any node
// finds, meters and closes any session; the per-call limit holds under concurrent starts on
// every node; a killed node's sessions expire; Redis going away and coming back is survived.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { http, type ServeNode, startNode } from "./helpers/cluster-nodes.js";
import { type PrivateRedis, startPrivateRedis } from "./helpers/redis-server.js";

const SHARED_REDIS = "redis://127.0.0.1:6379/0";
const NOT_READY = { detail: "Server is not ready to accept requests" };

/** Environment of a node in these tests: fast maintenance, a short TTL, no idle close. */
function nodeEnv(redisUrl: string, prefix: string): Record<string, string> {
  return {
    CALLWRIGHT_REDIS_URL: redisUrl,
    CALLWRIGHT_REDIS_PREFIX: prefix,
    CALLWRIGHT_MAINTENANCE_INTERVAL_S: "0.2",
    CALLWRIGHT_REGISTRY_TTL_S: "2",
    CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0",
    CALLWRIGHT_MAX_SESSIONS_PER_CALL: "3",
    CALLWRIGHT_DRAIN_TIMEOUT_S: "0",
  };
}

async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(SHARED_REDIS);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== "0");
  } finally {
    admin.disconnect();
  }
}

async function startSession(node: ServeNode, callId: string): Promise<string> {
  const answer = await http("POST", `${node.url}/sessions`, { call_id: callId });
  expect(answer.status, answer.text).toBe(201);
  return (answer.body as { session_id: string }).session_id;
}

const eventually = (check: () => Promise<void>, timeoutMs = 5_000) =>
  vi.waitFor(check, { timeout: timeoutMs, interval: 50 });

describe("three serve nodes on one Redis", () => {
  const prefix = `cwtest-${randomUUID()}`;
  let nodes: ServeNode[] = [];

  beforeAll(async () => {
    nodes = await Promise.all([0, 1, 2].map(() => startNode({ env: nodeEnv(SHARED_REDIS, prefix) })));
  });
  afterAll(async () => {
    for (const node of nodes) node.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await deleteKeys(prefix);
  });

  it("lets any node find, meter and close a session another node runs", async () => {
    const [a, b, c] = nodes as [ServeNode, ServeNode, ServeNode];
    const id = await startSession(a, "call-cross");

    const local = await http("GET", `${a.url}/sessions/${id}`);
    const remote = await http("GET", `${b.url}/sessions/${id}`);
    expect(remote.status).toBe(200);
    expect(remote.body).toMatchObject({ session_id: id, call_id: "call-cross" });
    expect((remote.body as { node_id: string }).node_id).toBe((local.body as { node_id: string }).node_id);
    expect((await http("GET", `${c.url}/calls/call-cross/sessions/${id}`)).status).toBe(200);
    expect((await http("GET", `${c.url}/calls/other-call/sessions/${id}`)).status).toBe(404);

    const metrics = await http("GET", `${b.url}/sessions/${id}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatchObject({ session_id: id, call_id: "call-cross" });
    expect((metrics.body as { metrics: Record<string, unknown> }).metrics).toHaveProperty(
      "llm_latency_ms__avg",
    );

    // DELETE on a node that does not run it: flagged, closed by the owner within an interval
    expect((await http("DELETE", `${b.url}/sessions/${id}`)).status).toBe(202);
    await eventually(async () => {
      expect((await http("GET", `${a.url}/sessions/${id}`)).status).toBe(404);
      expect((await http("GET", `${c.url}/sessions/${id}`)).status).toBe(404);
    });

    // the beacon route, from a third node
    const beaconed = await startSession(a, "call-cross");
    expect((await http("POST", `${c.url}/sessions/${beaconed}/close`)).status).toBe(202);
    await eventually(async () =>
      expect((await http("GET", `${b.url}/sessions/${beaconed}`)).status).toBe(404),
    );
    expect((await http("DELETE", `${b.url}/sessions/${randomUUID()}`)).status).toBe(404);
  });

  it("counts each node's own sessions on its GET /metrics, without session ids", async () => {
    const [a, b] = nodes as [ServeNode, ServeNode];
    const id = await startSession(a, "call-metrics");
    const scrape = async (node: ServeNode) => {
      const answer = await http("GET", `${node.url}/metrics`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(answer.text).not.toContain(id);
      return Number(/^callwright_sessions_active (\d+)$/m.exec(answer.text)?.[1]);
    };
    expect(await scrape(a)).toBe(1);
    expect(await scrape(b)).toBe(0); // B runs none (the sessions so far all ran on A and are closed)
    expect((await http("DELETE", `${b.url}/sessions/${id}`)).status).toBe(202);
    await eventually(async () => expect((await http("GET", `${a.url}/sessions/${id}`)).status).toBe(404));
  });

  it("joins the default example agent to the cluster through CALLWRIGHT_REDIS_URL", async () => {
    const [a] = nodes as [ServeNode];
    const example = await startNode({
      agentFile: "examples/local-voice/agent.ts",
      env: nodeEnv(SHARED_REDIS, prefix),
      args: ["--agents-log-level", "WARNING"],
      timeoutMs: 60_000,
    });
    try {
      const id = await startSession(example, "call-example");
      const seen = await http("GET", `${a.url}/sessions/${id}`);
      expect(seen.status).toBe(200);
      const own = await http("GET", `${example.url}/sessions/${id}`);
      expect((seen.body as { node_id: string }).node_id).toBe((own.body as { node_id: string }).node_id);
      expect((await http("DELETE", `${a.url}/sessions/${id}`)).status).toBe(202);
      await eventually(async () =>
        expect((await http("GET", `${example.url}/sessions/${id}`)).status).toBe(404),
      );
    } finally {
      example.kill();
      await example.exited;
    }
  }, 90_000);

  it("admits exactly maxSessionsPerCall under 30 concurrent starts spread over the nodes", async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        http("POST", `${nodes[i % 3]!.url}/sessions`, { call_id: "call-burst" }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 429);
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(27);
    for (const r of refused)
      expect(r.body).toEqual({ detail: "Reached maximum number of sessions for this call" });
    // all three are visible from every node
    for (const a of created) {
      const id = (a.body as { session_id: string }).session_id;
      for (const node of nodes) expect((await http("GET", `${node.url}/sessions/${id}`)).status).toBe(200);
    }
  });

  it("forgets the sessions of a node killed with SIGKILL once their TTL runs out", async () => {
    const [a, , c] = nodes as [ServeNode, ServeNode, ServeNode];
    const ids = [
      await startSession(c, "call-dead"),
      await startSession(c, "call-dead"),
      await startSession(c, "call-dead"),
    ];
    expect((await http("POST", `${a.url}/sessions`, { call_id: "call-dead" })).status).toBe(429);

    c.kill("SIGKILL");
    expect(await c.exited).toBe(137);
    // still known right after the crash (TTL 2 s)...
    expect((await http("GET", `${a.url}/sessions/${ids[0]}`)).status).toBe(200);
    // ...and gone everywhere once it ran out, freeing the call's slots
    await eventually(async () => {
      for (const id of ids) expect((await http("GET", `${a.url}/sessions/${id}`)).status).toBe(404);
    }, 8_000);
    expect((await http("POST", `${a.url}/sessions`, { call_id: "call-dead" })).status).toBe(201);
  });
});

describe("two serve nodes while their Redis stops and restarts", () => {
  let redis: PrivateRedis;
  let nodes: ServeNode[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    nodes = await Promise.all([0, 1].map(() => startNode({ env: nodeEnv(redis.url, "cwtest") })));
  });
  afterAll(async () => {
    for (const node of nodes) node.kill();
    await Promise.all(nodes.map((n) => n.exited));
    await redis?.stop();
  });

  it("keeps sessions running, refuses starts with 503 and recovers by itself, rewriting the registry", async () => {
    const [a, b] = nodes as [ServeNode, ServeNode];
    const id = await startSession(a, "call-outage");
    expect((await http("GET", `${b.url}/sessions/${id}`)).status).toBe(200);

    await redis.stop();
    await eventually(async () => {
      expect((await http("GET", `${a.url}/ready`)).status).toBe(503);
      expect((await http("GET", `${b.url}/ready`)).status).toBe(503);
    });
    const refused = await http("POST", `${b.url}/sessions`, { call_id: "call-outage" });
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual(NOT_READY);
    expect((await http("GET", `${a.url}/health`)).status).toBe(200);
    // the running session goes on: its own node still has it
    expect((await http("GET", `${a.url}/sessions/${id}`)).status).toBe(200);
    // another node needs the registry to find it
    expect((await http("GET", `${b.url}/sessions/${id}`)).status).toBe(503);

    await redis.start(); // empty: no persistence
    await eventually(async () => {
      expect((await http("GET", `${a.url}/ready`)).status).toBe(200);
      expect((await http("GET", `${b.url}/ready`)).status).toBe(200);
    });
    // the owner's maintenance wrote the session back
    await eventually(async () => expect((await http("GET", `${b.url}/sessions/${id}`)).status).toBe(200));
    await startSession(b, "call-outage");
    expect((await http("DELETE", `${b.url}/sessions/${id}`)).status).toBe(202);
    await eventually(async () => expect((await http("GET", `${a.url}/sessions/${id}`)).status).toBe(404));
  });
});
