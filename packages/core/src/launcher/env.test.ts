import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors/index.js";
import { MemoryRegistry } from "../registry/memory.js";
import { RedisRegistry } from "../registry/redis.js";
import { launcherOptionsFromEnv } from "./env.js";

describe("launcherOptionsFromEnv", () => {
  it("reads every variable, seconds into milliseconds", () => {
    expect(
      launcherOptionsFromEnv({
        CALLWRIGHT_MAX_CONCURRENT_SESSIONS: "10",
        CALLWRIGHT_MAX_SESSIONS_PER_CALL: "2",
        CALLWRIGHT_MAX_SESSION_DURATION_S: "3600",
        CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0",
        CALLWRIGHT_MAINTENANCE_INTERVAL_S: "0.5",
        CALLWRIGHT_REGISTRY_TTL_S: "30",
        CALLWRIGHT_DRAIN_TIMEOUT_S: "12.25",
      }),
    ).toEqual({
      maxConcurrentSessions: 10,
      maxSessionsPerCall: 2,
      maxSessionDurationMs: 3_600_000,
      agentIdleTimeoutMs: 0,
      maintenanceIntervalMs: 500,
      registryTtlMs: 30_000,
      drainTimeoutMs: 12_250,
    });
  });

  it("leaves unset and empty variables out, so defaults apply", () => {
    expect(launcherOptionsFromEnv({ CALLWRIGHT_MAX_CONCURRENT_SESSIONS: "  ", OTHER: "x" })).toEqual({});
  });

  it.each([
    ["CALLWRIGHT_MAX_CONCURRENT_SESSIONS", "abc"],
    ["CALLWRIGHT_MAX_CONCURRENT_SESSIONS", "0"],
    ["CALLWRIGHT_MAX_CONCURRENT_SESSIONS", "2.5"],
    ["CALLWRIGHT_MAX_SESSIONS_PER_CALL", "-1"],
    ["CALLWRIGHT_MAX_SESSION_DURATION_S", "0"],
    ["CALLWRIGHT_AGENT_IDLE_TIMEOUT_S", "1m"],
    ["CALLWRIGHT_MAINTENANCE_INTERVAL_S", "0"],
    ["CALLWRIGHT_REGISTRY_TTL_S", "ten"],
    ["CALLWRIGHT_DRAIN_TIMEOUT_S", "-3"],
    ["CALLWRIGHT_REDIS_URL", "http://example.com"],
    ["CALLWRIGHT_REDIS_PREFIX", "has space"],
  ])("refuses %s=%s with a one-line error naming the variable", (name, value) => {
    let error: unknown;
    try {
      launcherOptionsFromEnv({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).not.toContain("\n");
  });

  it("makes a RedisRegistry for CALLWRIGHT_REDIS_URL with its prefix", async () => {
    const { registry } = launcherOptionsFromEnv({
      CALLWRIGHT_REDIS_URL: "redis://127.0.0.1:6379/0",
      CALLWRIGHT_REDIS_PREFIX: "cwtest-env",
    });
    try {
      expect(registry).toBeInstanceOf(RedisRegistry);
      expect((registry as RedisRegistry).prefix).toBe("cwtest-env");
      await (registry as RedisRegistry).waitUntilReady();
      expect(registry?.healthy).toBe(true);
    } finally {
      await registry?.close();
    }
  });

  it("uses the registry factory when given", () => {
    const registry = new MemoryRegistry();
    const seen: unknown[] = [];
    const options = launcherOptionsFromEnv(
      { CALLWRIGHT_REDIS_URL: "redis://127.0.0.1:6379/2", CALLWRIGHT_REDIS_PREFIX: "staging" },
      {
        registryFactory: (o) => {
          seen.push(o);
          return registry;
        },
      },
    );
    expect(options.registry).toBe(registry);
    expect(seen).toEqual([{ url: "redis://127.0.0.1:6379/2", prefix: "staging" }]);
  });

  it("never prints the password of a malformed Redis URL", () => {
    expect(() => launcherOptionsFromEnv({ CALLWRIGHT_REDIS_URL: "http://user:secret@host" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("secret") }),
    );
  });
});
