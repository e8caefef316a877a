// Credentials: missing ones and wrong ones fail warm-up with a message naming the variable to fix;
// the coordinator rejects bad JWTs with 401.
import { ConfigError } from "callwright";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CoordinatorClient } from "../coordinator/client.js";
import { signJwt } from "../coordinator/jwt.js";
import { FakeStream } from "../testing/fake-stream.js";
import { DEMO_USER, Edge } from "./edge.js";

let fake: FakeStream;
beforeAll(async () => {
  fake = await FakeStream.start();
});
afterAll(async () => {
  await fake.close();
});

describe("credentials", () => {
  test("the right key and secret warm up", async () => {
    await expect(new Edge({ env: fake.env }).warmup()).resolves.toBeUndefined();
  });

  test("a missing key or secret is a ConfigError naming the variable", async () => {
    const noKey = new Edge({ env: { STREAM_API_SECRET: "x", STREAM_BASE_URL: fake.baseUrl } });
    await expect(noKey.warmup()).rejects.toThrow(ConfigError);
    await expect(noKey.warmup()).rejects.toThrow(/STREAM_API_KEY is not set/);
    const noSecret = new Edge({ env: { STREAM_API_KEY: "k", STREAM_BASE_URL: fake.baseUrl } });
    await expect(noSecret.warmup()).rejects.toThrow(/STREAM_API_SECRET is not set/);
    const badUrl = new Edge({ env: { ...fake.env, STREAM_BASE_URL: "not a url" } });
    await expect(badUrl.warmup()).rejects.toThrow(/invalid STREAM_BASE_URL 'not a url'/);
  });

  test("a wrong secret fails warm-up naming STREAM_API_SECRET; a wrong key names STREAM_API_KEY", async () => {
    const badSecret = new Edge({ env: { ...fake.env, STREAM_API_SECRET: "not-the-secret" } });
    await expect(badSecret.warmup()).rejects.toThrow(/STREAM_API_SECRET does not match STREAM_API_KEY/);
    await expect(badSecret.warmup()).rejects.toMatchObject({ code: "stream_auth", status: 401 });
    const badKey = new Edge({ env: { ...fake.env, STREAM_API_KEY: "nope" } });
    await expect(badKey.warmup()).rejects.toThrow(/STREAM_API_KEY is not a key Stream knows/);
  });

  test("a 429 is retried with backoff; the fake kit's bad-key switch fails warm-up naming STREAM_API_KEY", async () => {
    const edge = new Edge({ env: fake.env, requestRetry: { maxRetries: 2, baseDelayMs: 10 } });
    fake.faults.rateLimitNext = 2;
    await expect(edge.warmup()).resolves.toBeUndefined();
    expect(fake.faults.rateLimitNext).toBe(0);
    fake.faults.badKey = true;
    try {
      await expect(edge.warmup()).rejects.toThrow(/STREAM_API_KEY is not a key Stream knows/);
    } finally {
      fake.faults.badKey = false;
    }
  });

  test("the fake coordinator answers 401 to a token signed with another secret, an expired one, and none", async () => {
    const url = `${fake.baseUrl}/api/v2/app?api_key=${fake.apiKey}`;
    const call = (authorization: string) =>
      fetch(url, { headers: { authorization, "stream-auth-type": "jwt" } }).then((r) => r.status);
    expect(await call(signJwt({ server: true }, fake.apiSecret))).toBe(200);
    expect(await call(signJwt({ server: true }, "other"))).toBe(401);
    expect(await call(signJwt({ server: true, exp: 1 }, fake.apiSecret))).toBe(401);
    expect(await call("")).toBe(401);
    const client = new CoordinatorClient({
      apiKey: fake.apiKey,
      apiSecret: fake.apiSecret,
      baseUrl: fake.baseUrl,
      requestTimeoutMs: 2000,
    });
    await expect(client.joinCall("default", "x", "")).rejects.toMatchObject({ status: 403 });
  });

  test("the demo link joins the call in Stream's demo app as the demo user, with an hour's token", () => {
    const edge = new Edge({ env: { ...fake.env, EXAMPLE_BASE_URL: "https://demo.example/" } });
    expect(edge.demoUrl(undefined, "http://127.0.0.1:8000")).toBeUndefined();
    const url = new URL(edge.demoUrl({ type: "default", id: "abc" }, "http://127.0.0.1:8000")!);
    expect(`${url.origin}${url.pathname}`).toBe("https://demo.example/join/abc");
    expect(url.searchParams.get("api_key")).toBe(fake.apiKey);
    expect(url.searchParams.get("skip_lobby")).toBe("true");
    const claims = JSON.parse(
      Buffer.from(url.searchParams.get("token")!.split(".")[1]!, "base64url").toString(),
    );
    expect(claims.user_id).toBe(DEMO_USER.id);
    expect(claims.exp - claims.iat).toBeGreaterThanOrEqual(3600);
    expect(new Edge({ env: {} }).demoUrl({ type: "default", id: "abc" }, "")).toBeUndefined();
  });

  test("call ids Stream refuses are refused before any request", async () => {
    const edge = new Edge({ env: fake.env });
    await expect(edge.createCall("default", "has space")).rejects.toThrow(/call id must be/);
    await expect(edge.createCall("default", "ok_id-1")).resolves.toEqual({ type: "default", id: "ok_id-1" });
  });
});
