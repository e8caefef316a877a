import { describe, expect, it, vi } from "vitest";
import {
  CallwrightError,
  ClosedError,
  ConfigError,
  isCallwrightError,
  ProviderError,
  StateError,
} from "./errors.js";

describe("typed errors", () => {
  it("agree on instanceof across two copies of the package", async () => {
    vi.resetModules();
    const other = await import("./errors.js");
    expect(other.ProviderError).not.toBe(ProviderError); // really a second copy
    const theirs = new other.ProviderError("boom", { provider: "x", status: 503 });
    expect(theirs instanceof ProviderError).toBe(true);
    expect(theirs instanceof CallwrightError).toBe(true);
    expect(theirs instanceof ConfigError).toBe(false);
    expect(isCallwrightError(theirs)).toBe(true);
    expect(new ConfigError("bad") instanceof other.ConfigError).toBe(true);
    expect(new ConfigError("bad") instanceof other.ProviderError).toBe(false);
  });

  it("keeps a user's subclass without a brand of its own to its prototype chain", () => {
    class MyError extends ProviderError {}
    expect(new MyError("x", { provider: "p" }) instanceof MyError).toBe(true);
    expect(new ProviderError("x", { provider: "p" }) instanceof MyError).toBe(false);
    expect(new MyError("x", { provider: "p" }) instanceof ProviderError).toBe(true);
  });

  it("derives kind and retryable from the HTTP status", () => {
    const cases: [number, string, boolean][] = [
      [401, "auth", false],
      [403, "auth", false],
      [429, "rate_limit", true],
      [408, "timeout", true],
      [400, "bad_request", false],
      [404, "bad_request", false],
      [409, "bad_request", true],
      [500, "server", true],
      [503, "server", true],
    ];
    for (const [status, kind, retryable] of cases) {
      const e = new ProviderError("x", { provider: "p", status });
      expect([status, e.kind, e.retryable]).toEqual([status, kind, retryable]);
    }
  });

  it("is not retryable with nothing to go on, and keeps what the caller says", () => {
    expect(new ProviderError("x", { provider: "p" }).retryable).toBe(false);
    expect(new ProviderError("x", { provider: "p", kind: "connection" }).retryable).toBe(true);
    const e = new ProviderError("x", { provider: "p", status: 500, retryable: false, code: "llm_server" });
    expect([e.retryable, e.code, e.fault]).toEqual([false, "llm_server", "provider"]);
  });

  it("gives misuse and closed objects their own codes", () => {
    expect(new StateError("push after end")).toMatchObject({ code: "invalid_state", fault: "user" });
    expect(new ClosedError("STT stream")).toMatchObject({ code: "closed", message: "STT stream is closed" });
  });
});
