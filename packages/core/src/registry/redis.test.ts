// Against the real Redis at 127.0.0.1:6379 (each test under its own random prefix, its keys
// deleted afterwards) and, for the restart test, a private redis-server on another port.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../../../../test/e2e/helpers/redis-server.js";
import { ClosedError } from "../errors/index.js";
import { RedisRegistry, RegistryUnavailableError } from "./redis.js";
import type { SessionRecord } from "./types.js";

const SHARED_URL = "redis://127.0.0.1:6379";

function record(sessionId: string, callId = "call-1", nodeId = "node-a"): SessionRecord {
  return {
    sessionId,
    callId,
    callType: "default",
    nodeId,
    startedAt: "2025-01-15T10:30:00.000Z",
    metrics: null,
    metricsGeneratedAt: null,
  };
}

const unlimited = { maxSessionsPerCall: null, ttlMs: 30_000 };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A registry on the shared Redis under a fresh prefix; its keys are deleted after the test. */
function registry(prefix = `cwtest-${randomUUID()}`): RedisRegistry {
  const r = new RedisRegistry({ url: SHARED_URL, prefix });
  cleanups.push(async () => {
    await r.close();
    await deleteKeys(prefix);
  });
  return r;
}

async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(SHARED_URL);
  try {
    const keys = await keysOf(admin, prefix);
    if (keys.length > 0) await admin.del(...keys);
  } finally {
    admin.disconnect();
  }
}

async function keysOf(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

describe("RedisRegistry", () => {
  it("stores, finds by id alone, lists by call and removes sessions", async () => {
    const r = registry();
    await r.reserve(record("s1", "c1"), unlimited);
    await r.reserve(record("s2", "c1"), unlimited);
    await r.reserve(record("s3", "c2"), unlimited);

    expect(await r.get("s1")).toEqual(record("s1", "c1"));
    expect((await r.listByCall("c1")).map((x) => x.sessionId).sort()).toEqual(["s1", "s2"]);
    await r.remove("s1", "c1");
    expect(await r.get("s1")).toBeNull();
    expect((await r.listByCall("c1")).map((x) => x.sessionId)).toEqual(["s2"]);
    expect(await r.listByCall("nope")).toEqual([]);
    expect(await r.get("nope")).toBeNull();
  });

  it("lets another node find, flag and read the metrics of a session", async () => {
    const prefix = `cwtest-${randomUUID()}`;
    const owner = registry(prefix);
    const other = registry(prefix);
    await owner.reserve(record("s1", "c1", "node-a"), unlimited);
    await owner.refresh(
      [
        {
          ...record("s1", "c1", "node-a"),
          metrics: { llm_latency_ms__avg: 120, llm_input_tokens__total: 7 },
          metricsGeneratedAt: "2025-01-15T10:31:00.000Z",
        },
      ],
      { ttlMs: 30_000 },
    );

    const seen = await other.get("s1");
    expect(seen?.nodeId).toBe("node-a");
    expect(seen?.metrics).toEqual({ llm_latency_ms__avg: 120, llm_input_tokens__total: 7 });
    expect(seen?.metricsGeneratedAt).toBe("2025-01-15T10:31:00.000Z");

    expect(await owner.closeRequested(["s1"])).toEqual(new Set());
    expect(await other.requestClose("s1")).toBe(true);
    expect(await other.requestClose("s1")).toBe(true);
    expect(await other.requestClose("unknown")).toBe(false);
    expect(await owner.closeRequested(["s1", "unknown"])).toEqual(new Set(["s1"]));
    // any node can read the flag, not only the one that reserved
    expect(await other.closeRequested(["s1"])).toEqual(new Set(["s1"]));

    await owner.remove("s1", "c1");
    expect(await other.get("s1")).toBeNull();
    expect(await owner.closeRequested(["s1"])).toEqual(new Set());
    expect(await other.requestClose("s1")).toBe(false);
  });

  it("refuses a reservation once the call holds maxSessionsPerCall sessions, per call", async () => {
    const r = registry();
    const limit = { maxSessionsPerCall: 2, ttlMs: 30_000 };
    expect(await r.reserve(record("s1"), limit)).toEqual({ ok: true });
    expect(await r.reserve(record("s2"), limit)).toEqual({ ok: true });
    expect(await r.reserve(record("s3"), limit)).toEqual({ ok: false, reason: "call_full" });
    expect(await r.get("s3")).toBeNull();
    expect(await r.reserve(record("s4", "other"), limit)).toEqual({ ok: true });
    await r.remove("s1", "call-1");
    expect(await r.reserve(record("s5"), limit)).toEqual({ ok: true });
  });

  it("admits exactly the limit under 50 concurrent reservations from two nodes", async () => {
    const prefix = `cwtest-${randomUUID()}`;
    const nodes = [registry(prefix), registry(prefix)];
    const limit = { maxSessionsPerCall: 3, ttlMs: 30_000 };
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        nodes[i % 2]!.reserve(record(`s${i}`, "busy", `node-${i % 2}`), limit),
      ),
    );
    expect(results.filter((x) => x.ok)).toHaveLength(3);
    expect(await nodes[0]!.listByCall("busy")).toHaveLength(3);
  });

  it("forgets a session whose owner stops refreshing it, and the call's count with it", async () => {
    const r = registry();
    const limit = { maxSessionsPerCall: 1, ttlMs: 250 };
    expect(await r.reserve(record("kept"), { maxSessionsPerCall: null, ttlMs: 250 })).toEqual({ ok: true });
    expect(await r.reserve(record("gone", "c2"), limit)).toEqual({ ok: true });
    expect(await r.reserve(record("blocked", "c2"), limit)).toEqual({ ok: false, reason: "call_full" });
    await r.refresh([record("kept")], { ttlMs: 10_000 });

    await vi.waitFor(async () => expect(await r.get("gone")).toBeNull(), { timeout: 3_000, interval: 50 });
    expect(await r.listByCall("c2")).toEqual([]);
    expect(await r.reserve(record("next", "c2"), limit)).toEqual({ ok: true });
    expect((await r.get("kept"))?.sessionId).toBe("kept");
  });

  it("re-creates entries lost from Redis on refresh, keeping a pending close request", async () => {
    const prefix = `cwtest-${randomUUID()}`;
    const r = registry(prefix);
    await r.reserve(record("s1", "c1"), unlimited);
    await r.reserve(record("s2", "c1"), unlimited);
    await r.requestClose("s2");
    // s1's entries are lost (as after a Redis restart without persistence)
    const admin = new Redis(SHARED_URL);
    try {
      await admin.del(`${prefix}:sessions/c1/s1`, `${prefix}:session_calls/s1`);
      await admin.zrem(`${prefix}:call_sessions/c1`, "s1");
      expect(await r.get("s1")).toBeNull();

      await r.refresh([record("s1", "c1"), record("s2", "c1")], { ttlMs: 30_000 });
      expect((await r.get("s1"))?.sessionId).toBe("s1");
      expect((await r.listByCall("c1")).map((x) => x.sessionId).sort()).toEqual(["s1", "s2"]);
      expect(await r.closeRequested(["s1", "s2"])).toEqual(new Set(["s2"]));
      const ttlMs = await admin.pttl(`${prefix}:close_requests/c1/s2`);
      expect(ttlMs).toBeGreaterThan(20_000);
    } finally {
      admin.disconnect();
    }
  });

  it("reports healthy while connected, and refuses every call after close", async () => {
    const r = registry();
    await r.waitUntilReady();
    expect(r.healthy).toBe(true);
    await r.close();
    await r.close();
    expect(r.healthy).toBe(false);
    await expect(r.get("s1")).rejects.toBeInstanceOf(ClosedError);
    await expect(r.reserve(record("s1"), unlimited)).rejects.toBeInstanceOf(ClosedError);
  });

  it("uses a given client without quitting it on close", async () => {
    const client = new Redis(SHARED_URL);
    const prefix = `cwtest-${randomUUID()}`;
    const r = new RedisRegistry({ client, prefix });
    cleanups.push(async () => {
      client.disconnect();
      await deleteKeys(prefix);
    });
    await r.reserve(record("s1"), unlimited);
    await r.close();
    expect(await client.exists(`${prefix}:sessions/call-1/s1`)).toBe(1);
  });

  it("fails fast when Redis cannot be reached at all", async () => {
    const r = new RedisRegistry({ url: "redis://127.0.0.1:1", prefix: "cwtest-unreachable" });
    cleanups.push(() => r.close());
    const t0 = performance.now();
    await expect(r.reserve(record("s1"), unlimited)).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(r.healthy).toBe(false);
    // a later call does not wait for a connection either
    await expect(r.get("s1")).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(performance.now() - t0).toBeLessThan(4_000);
  });

  it("survives a Redis restart: refuses while down, reconnects by itself, refresh restores entries", async () => {
    const server: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => server.stop());
    const r = new RedisRegistry({ url: server.url, prefix: "cwtest" });
    cleanups.push(() => r.close());
    const other = new RedisRegistry({ url: server.url, prefix: "cwtest" });
    cleanups.push(() => other.close());
    await r.reserve(record("s1", "c1"), unlimited);
    expect((await other.get("s1"))?.sessionId).toBe("s1");

    const down = new Promise((resolve) => r.once("down", resolve));
    await server.stop();
    await down;
    expect(r.healthy).toBe(false);
    await expect(r.reserve(record("s2", "c1"), unlimited)).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(r.refresh([record("s1", "c1")], unlimited)).rejects.toBeInstanceOf(RegistryUnavailableError);

    const up = Promise.all([
      new Promise<void>((resolve) => r.once("up", () => resolve())),
      new Promise<void>((resolve) => other.once("up", () => resolve())),
    ]);
    await server.start();
    await up;
    expect(r.healthy).toBe(true);
    // the new Redis is empty (no persistence): the owner's refresh writes its session back
    expect(await other.get("s1")).toBeNull();
    await r.refresh([record("s1", "c1")], { ttlMs: 30_000 });
    expect((await other.get("s1"))?.nodeId).toBe("node-a");
    expect(await r.reserve(record("s2", "c1"), { maxSessionsPerCall: 2, ttlMs: 30_000 })).toEqual({
      ok: true,
    });
  });
});
