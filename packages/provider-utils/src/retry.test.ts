import { ProviderError } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, decideRetry, defaultRetryOptions, withRetry } from "./retry.js";
import { retryAfterFromGoogleError, retryAfterFromHeaders } from "./retry-after.js";

const noJitter = () => 0;
const server = (extra: Partial<ConstructorParameters<typeof ProviderError>[1]> = {}) =>
  new ProviderError("boom", { provider: "p", status: 503, ...extra });

describe("decideRetry", () => {
  const options = {
    ...defaultRetryOptions,
    maxRetries: 3,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    totalBudgetMs: 5000,
  };

  it("backs off exponentially, capped, with jitter taken off", () => {
    expect([0, 1, 2, 3, 4].map((r) => backoffDelayMs(r, options, noJitter))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelayMs(0, { ...options, jitterRatio: 0.5 }, () => 1)).toBe(50);
  });

  it("retries retryable errors until maxRetries, saying why it stopped", () => {
    expect(decideRetry(server(), 0, 0, options, noJitter)).toEqual({ retry: true, delayMs: 100 });
    expect(decideRetry(server(), 3, 0, options, noJitter)).toEqual({
      retry: false,
      reason: "gave up after 4 attempts",
    });
  });

  it("never retries auth or bad requests, nor errors that are not callwright's", () => {
    expect(decideRetry(new ProviderError("x", { provider: "p", status: 401 }), 0, 0, options).retry).toBe(
      false,
    );
    expect(decideRetry(new ProviderError("x", { provider: "p", status: 400 }), 0, 0, options).retry).toBe(
      false,
    );
    expect(decideRetry(new TypeError("fetch failed"), 0, 0, options).retry).toBe(false);
  });

  it("waits what the provider asked, unless that is over maxDelayMs or the budget", () => {
    expect(decideRetry(server({ retryAfterMs: 700 }), 0, 0, options)).toEqual({ retry: true, delayMs: 700 });
    const long = decideRetry(server({ retryAfterMs: 60_000 }), 0, 0, options);
    expect(long).toMatchObject({ retry: false, reason: expect.stringMatching(/asked to wait 60000 ms/) });
    const late = decideRetry(server({ retryAfterMs: 700 }), 0, 4500, options);
    expect(late).toMatchObject({ retry: false, reason: expect.stringMatching(/retry budget \(5000 ms\)/) });
  });
});

describe("withRetry", () => {
  it("returns the first success and reports each retry", async () => {
    const seen: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw server();
        return "ok";
      },
      { baseDelayMs: 1, onRetry: (_e, { attempt }) => seen.push(attempt) },
    );
    expect([result, calls, seen]).toEqual(["ok", 3, [1, 2]]);
  });

  it("throws the last error with the number of attempts", async () => {
    const error = await withRetry(
      async () => {
        throw server();
      },
      { maxRetries: 1, baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toBe("boom (gave up after 2 attempts)");
    expect((error as ProviderError).kind).toBe("server");
  });

  it("keeps the wait the provider asked for on the error it gives up with", async () => {
    const error = await withRetry(
      async () => {
        throw server({ status: 429, retryAfterMs: 60_000 });
      },
      { maxDelayMs: 1_000 },
    ).catch((e: unknown) => e);
    expect((error as ProviderError).message).toMatch(/asked to wait 60000 ms/);
    expect((error as ProviderError).retryAfterMs).toBe(60_000);
  });

  it("stops waiting at once when aborted", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const run = withRetry(
      async () => {
        throw server({ retryAfterMs: 5_000 });
      },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("retry-after", () => {
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(retryAfterFromHeaders(new Headers({ "retry-after-ms": "250" }))).toBe(250);
    expect(retryAfterFromHeaders({ "retry-after": "2" })).toBe(2000);
    const now = Date.parse("2026-12-04T10:00:00Z");
    expect(retryAfterFromHeaders({ "retry-after": "Fri, 04 Dec 2026 10:00:03 GMT" }, now)).toBe(3000);
    expect(retryAfterFromHeaders({ "retry-after": "soon" })).toBeUndefined();
    expect(retryAfterFromHeaders({})).toBeUndefined();
  });

  it("reads Google's RetryInfo from an error body, plain or wrapped in an array, as text or parsed", () => {
    const body = {
      error: {
        code: 429,
        message: "You exceeded your current quota",
        status: "RESOURCE_EXHAUSTED",
        details: [
          { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [] },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7.5s" },
        ],
      },
    };
    expect(retryAfterFromGoogleError(body)).toBe(7500);
    expect(retryAfterFromGoogleError(JSON.stringify([body]))).toBe(7500);
    expect(retryAfterFromGoogleError({ error: { code: 429 } })).toBeUndefined();
    expect(retryAfterFromGoogleError("not json")).toBeUndefined();
  });
});
