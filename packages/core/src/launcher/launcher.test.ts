import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { ConfigError } from "../errors/index.js";
import { silentLogger } from "../log/index.js";
import { MemoryRegistry } from "../registry/memory.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { LauncherUnavailableError, SessionLimitError, SessionStartError } from "./errors.js";
import { AgentLauncher } from "./launcher.js";
import type { AgentLauncherOptions } from "./options.js";
import type { SessionEndedEvent } from "./types.js";

/** A launcher over fake agents; `edges` holds each agent's FakeEdge (index 0: the warm-up agent). */
function fakeLauncher(options: Partial<AgentLauncherOptions> = {}) {
  const edges: FakeEdge[] = [];
  const launcher = new AgentLauncher({
    createAgent: () => {
      const edge = new FakeEdge();
      edges.push(edge);
      return new Agent({ edge });
    },
    joinCall: async (agent, callType, callId) => {
      const call = await agent.createCall(callType, callId);
      await agent.join(call, () => agent.finish());
    },
    logger: silentLogger,
    maintenanceIntervalMs: 20,
    registryTtlMs: 1_000,
    ...options,
  });
  launchers.push(launcher);
  return { launcher, edges };
}

const launchers: AgentLauncher[] = [];
afterEach(async () => {
  await Promise.all(launchers.splice(0).map((l) => l.stop()));
});

function ended(launcher: AgentLauncher, sessionId: string): Promise<SessionEndedEvent> {
  return new Promise((resolve) => {
    const off = launcher.on("session_ended", (event) => {
      if (event.sessionId !== sessionId) return;
      off();
      resolve(event);
    });
  });
}

/** Resolves once the session's agent is in its call (joinCall runs in the background). */
async function joined(edges: FakeEdge[], index: number): Promise<void> {
  for (let i = 0; i < 100 && edges[index]?.connections.length !== 1; i++) {
    await new Promise((r) => setImmediate(r));
  }
  expect(edges[index]?.connections).toHaveLength(1);
}

describe("AgentLauncher options", () => {
  const base = { createAgent: () => new Agent({ edge: new FakeEdge() }), joinCall: async () => {} };
  it.each([
    ["maxConcurrentSessions", 0],
    ["maxConcurrentSessions", -1],
    ["maxConcurrentSessions", 1.5],
    ["maxConcurrentSessions", "3"],
    ["maxSessionsPerCall", 0],
    ["maxSessionDurationMs", 0],
    ["maxSessionDurationMs", -5],
    ["agentIdleTimeoutMs", -1],
    ["agentIdleTimeoutMs", Number.NaN],
    ["maintenanceIntervalMs", 0],
    ["registryTtlMs", 0],
    ["drainTimeoutMs", -1],
    ["nodeId", ""],
  ])("refuses %s = %s with a message naming it", (name, value) => {
    expect(() => new AgentLauncher({ ...base, [name]: value } as AgentLauncherOptions)).toThrow(
      expect.objectContaining({ name: "ConfigError", message: expect.stringContaining(name) }),
    );
  });

  it("refuses a missing createAgent or joinCall, and a TTL not above the maintenance interval", () => {
    expect(() => new AgentLauncher({ joinCall: base.joinCall } as unknown as AgentLauncherOptions)).toThrow(
      /createAgent/,
    );
    expect(
      () => new AgentLauncher({ createAgent: base.createAgent } as unknown as AgentLauncherOptions),
    ).toThrow(/joinCall/);
    expect(() => new AgentLauncher({ ...base, maintenanceIntervalMs: 5_000, registryTtlMs: 5_000 })).toThrow(
      ConfigError,
    );
  });

  it("accepts 0 for agentIdleTimeoutMs (never) and null limits, and applies defaults", () => {
    const launcher = new AgentLauncher({ ...base, agentIdleTimeoutMs: 0, maxConcurrentSessions: null });
    expect(launcher.options).toEqual({
      agentIdleTimeoutMs: 0,
      maxConcurrentSessions: null,
      maxSessionsPerCall: null,
      maxSessionDurationMs: null,
      maintenanceIntervalMs: 5_000,
      registryTtlMs: 30_000,
      drainTimeoutMs: 30_000,
      joinTimeoutMs: 60_000,
      containFaults: true,
    });
  });
});

describe("AgentLauncher warm-up", () => {
  it("warms a dry-run agent up, closes it, and is ready only afterwards", async () => {
    const { launcher, edges } = fakeLauncher();
    expect(launcher.ready).toBe(false);
    await expect(launcher.startSession({ callId: "c1" })).rejects.toBeInstanceOf(LauncherUnavailableError);
    await launcher.start();
    expect(launcher.ready).toBe(true);
    expect(edges).toHaveLength(1);
    expect(edges[0]?.warmups).toBe(1);
    expect(launcher.edge).toBe(edges[0]);
    await launcher.start(); // idempotent
    expect(edges).toHaveLength(1);
  });

  it("fails start() when the agent cannot be created", async () => {
    const { launcher } = fakeLauncher({
      createAgent: () => {
        throw new Error("no model file");
      },
    });
    await expect(launcher.start()).rejects.toThrow("warm-up failed: no model file");
    expect(launcher.ready).toBe(false);
  });
});

describe("AgentLauncher sessions", () => {
  it("starts a session without waiting for the call, and finds it by id", async () => {
    const { launcher, edges } = fakeLauncher();
    await launcher.start();
    const session = await launcher.startSession({ callId: "call-1", callType: "audio_room" });
    expect(session).toMatchObject({
      callId: "call-1",
      callType: "audio_room",
      local: true,
      nodeId: launcher.nodeId,
    });
    expect(session.sessionId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(session.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(await launcher.getSession(session.sessionId)).toEqual(session);
    expect((await launcher.registry.get(session.sessionId))?.callId).toBe("call-1");
    await joined(edges, 1);
    expect(edges[1]?.connection.call).toEqual({ type: "audio_room", id: "call-1" });
    // the agent logs with its session's ids
    expect(launcher.localAgent(session.sessionId)?.logger.bindings()).toMatchObject({
      session_id: session.sessionId,
      call_id: "call-1",
    });
    expect(await launcher.getSession("unknown")).toBeNull();
  });

  it("ends the session when joinCall returns (the call ended), and frees its slot", async () => {
    const { launcher, edges } = fakeLauncher({ maxConcurrentSessions: 1 });
    await launcher.start();
    const session = await launcher.startSession({ callId: "c1" });
    await joined(edges, 1);
    expect(launcher.ready).toBe(false); // at capacity
    const end = ended(launcher, session.sessionId);
    edges[1]?.connection.end("call ended");
    expect((await end).reason).toBe("completed");
    expect(await launcher.getSession(session.sessionId)).toBeNull();
    expect(await launcher.registry.get(session.sessionId)).toBeNull();
    expect(launcher.stats.occupied).toBe(0);
    expect(launcher.ready).toBe(true);
  });

  it("a crashing joinCall ends only its own session", async () => {
    let calls = 0;
    const { launcher } = fakeLauncher({
      joinCall: async (agent, type, id) => {
        calls += 1;
        if (id === "bad") throw new Error("boom in joinCall");
        await agent.join(await agent.createCall(type, id), () => agent.finish());
      },
    });
    await launcher.start();
    const good = await launcher.startSession({ callId: "good" });
    const bad = await launcher.startSession({ callId: "bad" });
    const event = await ended(launcher, bad.sessionId);
    expect(event.reason).toBe("error");
    expect((event.error as Error).message).toBe("boom in joinCall");
    expect(calls).toBe(2);
    expect(await launcher.getSession(bad.sessionId)).toBeNull();
    expect(await launcher.getSession(good.sessionId)).not.toBeNull();
    expect(launcher.stats.running).toBe(1);
  });

  it("createAgent throwing gives SessionStartError and releases the slot and the registry entry", async () => {
    let fail = false;
    const { launcher } = fakeLauncher({
      maxConcurrentSessions: 1,
      maxSessionsPerCall: 1,
      createAgent: () => {
        if (fail) throw new Error("no API key");
        return new Agent({ edge: new FakeEdge() });
      },
    });
    await launcher.start();
    fail = true;
    const rejected: string[] = [];
    launcher.on("session_rejected", (e) => rejected.push(e.code));
    const error = await launcher.startSession({ callId: "c1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionStartError);
    expect((error as SessionStartError).cause).toEqual(new Error("no API key"));
    expect(rejected).toEqual(["agent_start_failed"]);
    expect(launcher.stats.occupied).toBe(0);
    expect(await launcher.registry.listByCall("c1")).toEqual([]);
    fail = false;
    await expect(launcher.startSession({ callId: "c1" })).resolves.toBeTruthy();
  });

  it("50 concurrent starts never overshoot maxConcurrentSessions, even with a slow createAgent", async () => {
    let created = 0;
    const { launcher } = fakeLauncher({
      maxConcurrentSessions: 5,
      createAgent: async () => {
        created += 1;
        await new Promise((r) => setTimeout(r, 5));
        return new Agent({ edge: new FakeEdge() });
      },
    });
    await launcher.start();
    created = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => launcher.startSession({ callId: `call-${i}` })),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(5);
    expect(created).toBe(5);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(SessionLimitError);
      expect((r.reason as SessionLimitError).code).toBe("max_concurrent_sessions");
      expect((r.reason as SessionLimitError).message).toBe("Reached maximum number of concurrent sessions");
    }
    expect(launcher.stats.running).toBe(5);
  });

  it("50 concurrent starts into one call never overshoot maxSessionsPerCall", async () => {
    const { launcher } = fakeLauncher({ maxSessionsPerCall: 3 });
    await launcher.start();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => launcher.startSession({ callId: "same" })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const reasons = results.flatMap((r) =>
      r.status === "rejected" ? [(r.reason as SessionLimitError).code] : [],
    );
    expect(new Set(reasons)).toEqual(new Set(["max_sessions_per_call"]));
    expect(await launcher.registry.listByCall("same")).toHaveLength(3);
    expect(launcher.stats.occupied).toBe(3);
    // another call still has room
    await expect(launcher.startSession({ callId: "other" })).resolves.toBeTruthy();
  });
});

describe("AgentLauncher limits and closing", () => {
  it("closes a session once its agent has been alone for agentIdleTimeoutMs", async () => {
    const { launcher, edges } = fakeLauncher({ agentIdleTimeoutMs: 60 });
    await launcher.start();
    const session = await launcher.startSession({ callId: "c1" });
    await joined(edges, 1);
    const connection = edges[1]!.connection;
    connection.join("user-1");
    // Someone is there: several maintenance cycles past the timeout leave the session alone.
    const t0 = performance.now();
    while (performance.now() - t0 < 150) await launcher.runMaintenance();
    expect(await launcher.getSession(session.sessionId)).not.toBeNull();
    const end = ended(launcher, session.sessionId);
    const left = performance.now();
    connection.leave("user-1");
    const event = await end;
    expect(event.reason).toBe("idle");
    expect(performance.now() - left).toBeGreaterThanOrEqual(60);
    expect(connection.closed).toBe(true);
  });

  it("never closes for idleness when agentIdleTimeoutMs is 0", async () => {
    const { launcher } = fakeLauncher({ agentIdleTimeoutMs: 0 });
    await launcher.start();
    const session = await launcher.startSession({ callId: "c1" });
    const t0 = performance.now();
    while (performance.now() - t0 < 80) await launcher.runMaintenance();
    expect(await launcher.getSession(session.sessionId)).not.toBeNull();
  });

  it("closes a session at maxSessionDurationMs even with people in the call", async () => {
    const { launcher, edges } = fakeLauncher({ maxSessionDurationMs: 80, agentIdleTimeoutMs: 0 });
    await launcher.start();
    const session = await launcher.startSession({ callId: "c1" });
    await joined(edges, 1);
    edges[1]!.connection.join("user-1");
    const event = await ended(launcher, session.sessionId);
    expect(event.reason).toBe("duration");
    expect(event.durationMs).toBeGreaterThanOrEqual(80);
  });

  it("closeSession closes a local session at once; closing twice is fine; unknown is false", async () => {
    const { launcher, edges } = fakeLauncher();
    await launcher.start();
    const session = await launcher.startSession({ callId: "c1" });
    await joined(edges, 1);
    const end = ended(launcher, session.sessionId);
    expect(await launcher.closeSession(session.sessionId)).toBe(true);
    // gone as soon as the close resolved
    expect(await launcher.getSession(session.sessionId)).toBeNull();
    expect(await launcher.registry.get(session.sessionId)).toBeNull();
    expect((await end).reason).toBe("closed");
    expect(edges[1]?.connection.closed).toBe(true);
    expect(await launcher.closeSession(session.sessionId)).toBe(false);
    expect(await launcher.closeSession("unknown")).toBe(false);
  });

  it("another node sees, meters and closes the session through the shared registry", async () => {
    const registry = new MemoryRegistry();
    const a = fakeLauncher({ registry, nodeId: "node-a" });
    const b = fakeLauncher({ registry: registryView(registry), nodeId: "node-b" });
    await a.launcher.start();
    await b.launcher.start();
    const session = await a.launcher.startSession({ callId: "c1" });
    await joined(a.edges, 1);

    const seen = await b.launcher.getSession(session.sessionId);
    expect(seen).toMatchObject({ sessionId: session.sessionId, nodeId: "node-a", local: false });
    // before the first flush, a remote session's metrics read as empty (averages null, totals 0)
    const before = await b.launcher.getSessionMetrics(session.sessionId);
    expect(before?.metrics.llm_latency_ms__avg).toBeNull();
    expect(before?.metrics.llm_input_tokens__total).toBe(0);

    a.launcher.localAgent(session.sessionId)?.metrics.observe("llm_latency_ms__avg", 120);
    await a.launcher.runMaintenance();
    const after = await b.launcher.getSessionMetrics(session.sessionId);
    expect(after?.metrics.llm_latency_ms__avg).toBe(120);

    const end = ended(a.launcher, session.sessionId);
    expect(await b.launcher.closeSession(session.sessionId)).toBe(true);
    expect((await end).reason).toBe("closed");
    expect(await b.launcher.getSession(session.sessionId)).toBeNull();
  });

  it("refreshes its registry entries' TTL each cycle; entries of a dead node expire", async () => {
    let now = 0;
    const registry = new MemoryRegistry({ now: () => now });
    const { launcher } = fakeLauncher({ registry, registryTtlMs: 200_000, maintenanceIntervalMs: 100_000 });
    await launcher.start();
    const session = await launcher.startSession({ callId: "c1" });
    now += 180_000;
    await launcher.runMaintenance();
    now += 180_000; // past the first TTL: alive only thanks to the refresh
    expect(await registry.get(session.sessionId)).not.toBeNull();
    // no refresh (the node died): gone after the TTL
    now += 20_000;
    expect(await registry.get(session.sessionId)).toBeNull();
  });
});

describe("AgentLauncher drain and stop", () => {
  it("leaves no timer keeping the process alive after drain and stop", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    // Vitest batches its task updates behind a 100 ms timer of its own; let a pending one fire so
    // the count below holds only timers of this test.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const before = timers();
    const { launcher } = fakeLauncher({ drainTimeoutMs: 50 });
    await launcher.start();
    await launcher.startSession({ callId: "c1" });
    const draining = launcher.drain();
    expect(timers()).toBeGreaterThan(before); // the drain timeout
    await draining;
    await launcher.stop();
    expect(timers()).toBe(before);
    expect(launcher.listenerCount("session_ended")).toBe(0);
  });

  it("drain refuses new sessions, waits for running ones, then closes the rest", async () => {
    const { launcher, edges } = fakeLauncher({ drainTimeoutMs: 100 });
    await launcher.start();
    const s1 = await launcher.startSession({ callId: "c1" });
    const s2 = await launcher.startSession({ callId: "c2" });
    await joined(edges, 1);
    await joined(edges, 2);
    const reasons = new Map<string, string>();
    launcher.on("session_ended", (e) => reasons.set(e.sessionId, e.reason));
    const draining = launcher.drain();
    expect(launcher.ready).toBe(false);
    await expect(launcher.startSession({ callId: "c3" })).rejects.toBeInstanceOf(LauncherUnavailableError);
    edges[1]!.connection.end(); // s1 finishes by itself during the drain
    await draining;
    expect(reasons.get(s1.sessionId)).toBe("completed");
    expect(reasons.get(s2.sessionId)).toBe("drain");
    expect(launcher.stats.occupied).toBe(0);
    expect(launcher.drain()).toBe(draining);
  });

  it("stop closes everything at once, even during a long drain, and closes the registry", async () => {
    const registry = new MemoryRegistry();
    const { launcher } = fakeLauncher({ registry, drainTimeoutMs: 60_000 });
    await launcher.start();
    const session = await launcher.startSession({ callId: "c1" });
    const end = ended(launcher, session.sessionId);
    const draining = launcher.drain();
    await launcher.stop();
    await draining;
    expect((await end).reason).toBe("drain");
    expect(registry.healthy).toBe(false);
    await launcher.stop(); // idempotent
    await expect(launcher.start()).rejects.toBeInstanceOf(LauncherUnavailableError);
  });
});

/** The same registry seen by a second node, but not closed when that node stops. */
function registryView(registry: MemoryRegistry): MemoryRegistry {
  return new Proxy(registry, {
    get(target, prop, receiver) {
      if (prop === "close") return async () => {};
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : (value ?? receiver);
    },
  });
}
