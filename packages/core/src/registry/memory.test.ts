import { describe, expect, it } from "vitest";
import { ClosedError } from "../errors/index.js";
import { MemoryRegistry } from "./memory.js";
import type { SessionRecord } from "./types.js";

function record(sessionId: string, callId = "call-1"): SessionRecord {
  return {
    sessionId,
    callId,
    callType: "default",
    nodeId: "node-a",
    startedAt: "2025-01-15T10:30:00.000Z",
    metrics: null,
    metricsGeneratedAt: null,
  };
}

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

const unlimited = { maxSessionsPerCall: null, ttlMs: 30_000 };

describe("MemoryRegistry", () => {
  it("stores, finds, lists by call and removes sessions", async () => {
    const registry = new MemoryRegistry();
    await registry.reserve(record("s1", "c1"), unlimited);
    await registry.reserve(record("s2", "c1"), unlimited);
    await registry.reserve(record("s3", "c2"), unlimited);

    expect((await registry.get("s1"))?.callId).toBe("c1");
    expect((await registry.listByCall("c1")).map((r) => r.sessionId).sort()).toEqual(["s1", "s2"]);
    await registry.remove("s1", "c1");
    expect(await registry.get("s1")).toBeNull();
    expect((await registry.listByCall("c1")).map((r) => r.sessionId)).toEqual(["s2"]);
    expect(await registry.listByCall("nope")).toEqual([]);
  });

  it("returns copies, so a caller cannot change what others read", async () => {
    const registry = new MemoryRegistry();
    await registry.reserve(record("s1"), unlimited);
    const got = await registry.get("s1");
    got!.callId = "changed";
    expect((await registry.get("s1"))?.callId).toBe("call-1");
  });

  it("refuses a reservation once the call holds maxSessionsPerCall sessions", async () => {
    const registry = new MemoryRegistry();
    const limit = { maxSessionsPerCall: 2, ttlMs: 30_000 };
    expect(await registry.reserve(record("s1"), limit)).toEqual({ ok: true });
    expect(await registry.reserve(record("s2"), limit)).toEqual({ ok: true });
    expect(await registry.reserve(record("s3"), limit)).toEqual({ ok: false, reason: "call_full" });
    // another call is not affected
    expect(await registry.reserve(record("s4", "other"), limit)).toEqual({ ok: true });
    await registry.remove("s1", "call-1");
    expect(await registry.reserve(record("s5"), limit)).toEqual({ ok: true });
  });

  it("never overshoots the per-call limit under 50 concurrent reservations", async () => {
    const registry = new MemoryRegistry();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        registry.reserve(record(`s${i}`), { maxSessionsPerCall: 7, ttlMs: 1e4 }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    expect(await registry.listByCall("call-1")).toHaveLength(7);
  });

  it("expires entries that are not refreshed within the TTL", async () => {
    const clock = fakeClock();
    const registry = new MemoryRegistry({ now: clock.now });
    await registry.reserve(record("s1"), { maxSessionsPerCall: 1, ttlMs: 100 });
    clock.advance(99);
    expect(await registry.get("s1")).not.toBeNull();
    clock.advance(1);
    expect(await registry.get("s1")).toBeNull();
    expect(await registry.listByCall("call-1")).toEqual([]);
    // the expired entry no longer counts against the call's limit
    expect(await registry.reserve(record("s2"), { maxSessionsPerCall: 1, ttlMs: 100 })).toEqual({ ok: true });
  });

  it("refresh extends the TTL, updates metrics and recreates lost entries", async () => {
    const clock = fakeClock();
    const registry = new MemoryRegistry({ now: clock.now });
    await registry.reserve(record("s1"), { maxSessionsPerCall: null, ttlMs: 100 });
    clock.advance(80);
    const withMetrics = { ...record("s1"), metrics: { llm_latency_ms__avg: 12 }, metricsGeneratedAt: "x" };
    await registry.refresh([withMetrics], { ttlMs: 100 });
    clock.advance(80);
    expect((await registry.get("s1"))?.metrics).toEqual({ llm_latency_ms__avg: 12 });

    await registry.remove("s1", "call-1");
    await registry.refresh([record("s1")], { ttlMs: 100 });
    expect(await registry.get("s1")).not.toBeNull();
    expect(registry.size).toBe(1);
    clock.advance(100);
    expect(registry.size).toBe(0);
  });

  it("keeps close flags until the session is removed", async () => {
    const registry = new MemoryRegistry();
    await registry.reserve(record("s1"), unlimited);
    await registry.reserve(record("s2"), unlimited);
    expect(await registry.requestClose("s1")).toBe(true);
    expect(await registry.requestClose("unknown")).toBe(false);
    expect(await registry.closeRequested(["s1", "s2", "unknown"])).toEqual(new Set(["s1"]));
    // a refresh does not clear a pending close request
    await registry.refresh([record("s1"), record("s2")], { ttlMs: 30_000 });
    expect(await registry.closeRequested(["s1", "s2"])).toEqual(new Set(["s1"]));
    await registry.remove("s1", "call-1");
    await registry.reserve(record("s1"), unlimited);
    expect(await registry.closeRequested(["s1"])).toEqual(new Set());
  });

  it("throws after close", async () => {
    const registry = new MemoryRegistry();
    await registry.close();
    expect(registry.healthy).toBe(false);
    await expect(registry.get("s1")).rejects.toBeInstanceOf(ClosedError);
    await registry.close(); // idempotent
  });
});
