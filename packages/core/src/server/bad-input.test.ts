// Bad input never becomes a 500 nor shows a stack: 4xx in FastAPI's shape.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";

let app: FastifyInstance;
let launcher: AgentLauncher;
beforeAll(async () => {
  launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new FakeEdge() }),
    joinCall: async (agent, type, id) => {
      await agent.join(await agent.createCall(type, id), () => agent.finish());
    },
    logger: silentLogger,
  });
  app = buildServer(launcher);
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: "/sessions", payload: payload as string, headers });

describe("422 validation, FastAPI's shape", () => {
  it.each([
    [
      "missing call_id",
      {},
      [{ type: "missing", loc: ["body", "call_id"], msg: "Field required", input: {} }],
    ],
    [
      "call_id of the wrong type",
      { call_id: 42 },
      [{ type: "string_type", loc: ["body", "call_id"], msg: "Input should be a valid string", input: 42 }],
    ],
    [
      "call_id null",
      { call_id: null },
      [{ type: "string_type", loc: ["body", "call_id"], msg: "Input should be a valid string", input: null }],
    ],
    [
      "empty call_id",
      { call_id: "" },
      [
        {
          type: "string_too_short",
          loc: ["body", "call_id"],
          msg: "String should have at least 1 character",
          input: "",
          ctx: { min_length: 1 },
        },
      ],
    ],
    [
      "call_type of the wrong type",
      { call_id: "c", call_type: ["x"] },
      [
        {
          type: "string_type",
          loc: ["body", "call_type"],
          msg: "Input should be a valid string",
          input: ["x"],
        },
      ],
    ],
    [
      "a body that is not an object",
      [1, 2],
      [
        {
          type: "model_attributes_type",
          loc: ["body"],
          msg: "Input should be a valid dictionary or object to extract fields from",
          input: [1, 2],
        },
      ],
    ],
  ])("%s", async (_name, payload, detail) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ detail });
  });

  it("reports every problem at once", async () => {
    const res = await post({ call_id: 1, call_type: 2 });
    expect(res.json().detail.map((d: { loc: string[] }) => d.loc[1])).toEqual(["call_id", "call_type"]);
  });

  it("an id over 256 characters is 422 string_too_long, in the body and in the path", async () => {
    const long = "x".repeat(257);
    const body = await post({ call_id: long });
    expect(body.statusCode).toBe(422);
    expect(body.json().detail[0]).toMatchObject({
      type: "string_too_long",
      loc: ["body", "call_id"],
      msg: "String should have at most 256 characters",
      ctx: { max_length: 256 },
    });
    expect((await post({ call_id: "x".repeat(256) })).statusCode).toBe(201);

    for (const url of [`/sessions/${long}`, `/sessions/${long}/metrics`, `/calls/${long}/sessions/abc`]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(422);
      expect(res.json().detail[0].type).toBe("string_too_long");
      expect(res.json().detail[0].loc[0]).toBe("path");
    }
    const scopedStart = await app.inject({ method: "POST", url: `/calls/${long}/sessions` });
    expect(scopedStart.statusCode).toBe(422);
    expect(scopedStart.json().detail[0].loc).toEqual(["path", "call_id"]);
  });

  it("an empty session id in the path is 422", async () => {
    const res = await app.inject({ method: "GET", url: "/sessions/" });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail[0]).toMatchObject({ type: "string_too_short", loc: ["path", "session_id"] });
  });

  it("malformed JSON is 422 json_invalid with the error position", async () => {
    const res = await post('{"call_id": }', { "content-type": "application/json" });
    expect(res.statusCode).toBe(422);
    const [issue] = res.json().detail;
    expect(issue).toMatchObject({ type: "json_invalid", msg: "JSON decode error", input: {} });
    expect(issue.loc[0]).toBe("body");
    expect(typeof issue.loc[1]).toBe("number");
    expect(typeof issue.ctx.error).toBe("string");
  });

  it("JSON nested 5,000 levels deep is a 422 that echoes nothing, never a 500 (issue 11)", async () => {
    for (const body of ["[".repeat(5000) + "]".repeat(5000), '{"a":'.repeat(5000) + "1" + "}".repeat(5000)]) {
      const res = await post(body, { "content-type": "application/json" });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toEqual([
        {
          type: "json_too_deep",
          loc: ["body"],
          msg: "JSON nested deeper than 32 levels",
          input: {},
          ctx: { max_depth: 32 },
        },
      ]);
    }
    // Depth within the cap still reads as an ordinary body (unknown fields ignored).
    const ok = await post(`{"call_id":"deep-ok","x":${"[".repeat(20)}${"]".repeat(20)}}`, {
      "content-type": "application/json",
    });
    expect(ok.statusCode).toBe(201);
  });

  it("a body without a content type is read as JSON (as FastAPI does); another type is not an object", async () => {
    expect(
      (await app.inject({ method: "POST", url: "/sessions", payload: '{"call_id":"c"}' })).statusCode,
    ).toBe(201);
    const text = await post("call_id=c", { "content-type": "application/x-www-form-urlencoded" });
    expect(text.statusCode).toBe(422);
    expect(text.json().detail[0].type).toBe("model_attributes_type");
  });

  it("a missing body is 422 on the flat route; the call-scoped route needs none", async () => {
    const res = await app.inject({ method: "POST", url: "/sessions" });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }],
    });
    expect((await app.inject({ method: "POST", url: "/calls/c/sessions" })).statusCode).toBe(201);
  });

  it("unknown fields are ignored, as pydantic ignores them", async () => {
    const res = await post({ call_id: "c", call_type: "default", colour: "blue", nested: { a: 1 } });
    expect(res.statusCode).toBe(201);
    expect(Object.keys(res.json()).sort()).toEqual([
      "call_id",
      "join_token",
      "join_token_expires_at",
      "session_id",
      "session_started_at",
    ]);
  });
});

describe("other client errors", () => {
  it("a body over 64 KiB is 413 with a detail", async () => {
    const res = await post({ call_id: "c", pad: "x".repeat(70 * 1024) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: "Request body is too large (limit 65536 bytes)" });
  });

  it("an unknown route is 404 Not Found", async () => {
    for (const url of ["/nope", "/sessions/a/b/c", "/calls"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual({ detail: "Not Found" });
    }
  });

  it("a known route with the wrong method is 405 Method Not Allowed, with Allow", async () => {
    for (const [method, url, allow] of [
      ["GET", "/sessions", "POST"],
      ["PUT", "/sessions/abc", "GET, DELETE, HEAD"],
      ["PATCH", "/calls/c/sessions/abc", "GET, DELETE, HEAD"],
      ["GET", "/sessions/abc/close", "POST"],
      ["POST", "/sessions/abc/metrics", "GET, HEAD"],
      ["POST", "/health", "GET, HEAD"],
      ["DELETE", "/ready", "GET, HEAD"],
    ] as const) {
      const res = await app.inject(
        method === "GET" ? { method, url } : { method, url, payload: "{not json" },
      );
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      expect(res.json()).toEqual({ detail: "Method Not Allowed" });
      expect(res.headers.allow).toBe(allow);
    }
  });

  it("no client error answers 500 or carries a stack trace", async () => {
    const attempts = [
      post("{"),
      post("null", { "content-type": "application/json" }),
      post('"just a string"', { "content-type": "application/json" }),
      post({ call_id: { $gt: "" } }),
      post({ __proto__: { call_id: "x" } }),
      app.inject({
        method: "POST",
        url: "/sessions",
        payload: "\u0000\u0001",
        headers: { "content-type": "application/json" },
      }),
      app.inject({ method: "GET", url: "/sessions/%E0%A4%A" }),
      app.inject({ method: "DELETE", url: "/calls//sessions/x" }),
      post('{"call_id":"c"}', { "content-type": "bogus" }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
      expect(res.json()).toHaveProperty("detail");
    }
  });
});

describe("OpenAPI", () => {
  it("serves the OpenAPI JSON at /openapi.json with both route families, and the UI at /docs offline", async () => {
    const res = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/sessions",
        "/sessions/{session_id}",
        "/sessions/{session_id}/close",
        "/sessions/{session_id}/metrics",
        "/calls/{call_id}/sessions",
        "/calls/{call_id}/sessions/{session_id}",
        "/calls/{call_id}/sessions/{session_id}/close",
        "/calls/{call_id}/sessions/{session_id}/metrics",
        "/health",
        "/ready",
      ]),
    );
    expect(spec.paths["/sessions"].post.requestBody.content["application/json"].schema.required).toEqual([
      "call_id",
    ]);
    const docs = await app.inject({ method: "GET", url: "/docs" });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("swagger-ui");
    // its assets come from this server, not a CDN
    expect(docs.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)/);
    const css = await app.inject({ method: "GET", url: "/docs/static/swagger-ui.css" });
    expect(css.statusCode).toBe(200);
  });
});
