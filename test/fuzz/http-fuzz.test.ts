// Hostile requests on every route, the local edge's included (issue 11, fuzzing): fast-check
// generates methods, paths (huge, unicode, NUL, traversal ids), headers, content types and
// bodies (wrong types, deep nesting, garbage) for >= 10,000 requests through app.inject, then a
// raw-socket portion (garbage, pipelining, slow and cut bodies). No 5xx, no stack or internal
// path in a body, every error in {"detail"}; memory about flat; a normal start/close after.
import { connect } from "node:net";
import { CallHub, Edge } from "@callwright/local";
import type { RtcBackend, RtcPeer } from "@callwright/webrtc";
import { Agent, AgentLauncher, buildServer, HttpError, silentLogger } from "callwright";
import fc from "fast-check";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const backend: RtcBackend = {
  name: "scripted",
  async warmup() {},
  async answer(): Promise<RtcPeer> {
    return {
      answerSdp: "v=0\r\n",
      on: () => () => {},
      sendRtp: () => true,
      sendVideo: () => true,
      sendData: () => true,
      close: () => {},
    };
  },
};

let app: FastifyInstance;
let baseUrl: string;
let token: string;

beforeAll(async () => {
  const hub = new CallHub({ backend, logger: silentLogger, callWaitMs: 0, webrtc: { iceServers: [] } });
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new Edge({ hub }) }),
    joinCall: async (agent, type, id) => {
      await agent.join(await agent.createCall(type, id), () => agent.finish());
    },
    logger: silentLogger,
    agentIdleTimeoutMs: 0,
  });
  app = buildServer(launcher, {
    canStartSession: (request: FastifyRequest) => {
      if (request.headers["x-api-key"] !== "k") throw new HttpError(401, "Invalid API key");
    },
    requestTimeoutMs: 2_000,
    headersTimeoutMs: 1_000,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const started = await app.inject({
    method: "POST",
    url: "/sessions",
    headers: { "x-api-key": "k" },
    payload: { call_id: "fuzz-call" },
  });
  token = started.json().join_token;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const ids = fc.oneof(
  fc.constantFrom("fuzz-call", "x", "..", "%2e%2e%2f", "%00", "a%2Fb", "%ZZ", "🦜", "../../etc/passwd"),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.nat({ max: 3000 }).map((n) => "a".repeat(n)),
);
const paths = fc.oneof(
  fc.constantFrom(
    "/sessions",
    "/health",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/",
    "/local/config",
    "/nope",
  ),
  ids.map((id) => `/calls/${id}/sessions`),
  ids.map((id) => `/sessions/${id}`),
  ids.map((id) => `/sessions/${id}/close`),
  ids.map((id) => `/sessions/${id}/metrics`),
  fc.tuple(ids, ids).map(([c, s]) => `/calls/${c}/sessions/${s}/metrics`),
  ids.map((id) => `/local/calls/${id}`),
  ids.map((id) => `/local/calls/${id}/offer`),
  fc.tuple(ids, ids).map(([c, p]) => `/local/calls/${c}/participants/${p}/leave`),
  fc.tuple(ids, ids).map(([c, p]) => `/local/calls/${c}/participants/${p}`),
  ids.map((id) => `/local/static/${id}`),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;
const bodies = fc.oneof(
  fc.constant(undefined),
  json.map((v) => JSON.stringify(v)),
  fc
    .record({ call_id: fc.oneof(fc.string(), fc.integer(), ids), call_type: fc.anything() })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      sdp: fc.oneof(fc.string(), fc.constant("v=0\r\n")),
      type: fc.constantFrom("offer", "answer", 1),
    })
    .map((v) => JSON.stringify(v)),
  fc.nat({ max: 6000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
);
const requests = fc.record({
  method: fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"),
  path: paths,
  query: fc.oneof(
    fc.constant(""),
    fc.constant(`?token=${"x"}`),
    fc.string({ maxLength: 30 }).map((q) => `?${encodeURIComponent(q)}`),
  ),
  contentType: fc.constantFrom(
    undefined,
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/vnd.api+json",
    "multipart/form-data; boundary=x",
    "garbage/\u00ff",
  ),
  body: bodies,
  withToken: fc.boolean(),
  apiKey: fc.boolean(),
});

const LEAKS = [/\bat .*\(.*:\d+:\d+\)/, /node_modules/, /\/work\//, /\.ts:\d+/];

function checkAnswer(status: number, body: string, method: string, what: string): void {
  expect(status, what).toBeLessThan(500);
  for (const leak of LEAKS) expect(body, what).not.toMatch(leak);
  if (status >= 400 && method !== "HEAD") {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(parsed), what).toEqual(["detail"]);
  }
}

describe("fuzzing the HTTP API", () => {
  it("10,000 generated requests: no 5xx, no leak, errors in {detail}; memory flat; start/close after", async () => {
    const rssBefore = process.memoryUsage().rss;
    let count = 0;
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        count += 1;
        const headers: Record<string, string> = {};
        if (r.contentType !== undefined) headers["content-type"] = r.contentType;
        if (r.withToken) headers["x-join-token"] = token;
        if (r.apiKey) headers["x-api-key"] = "k";
        const res = await app.inject({
          method: r.method as "GET",
          url: `${r.path}${r.query}`,
          headers,
          ...(r.body === undefined || r.method === "GET" || r.method === "HEAD" ? {} : { payload: r.body }),
        });
        checkAnswer(res.statusCode, res.body, r.method, `${r.method} ${r.path.slice(0, 80)}`);
      }),
      { numRuns: 10_000, seed: 11 },
    );
    expect(count).toBe(10_000);
    const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(grownMb).toBeLessThan(300);

    const start = await app.inject({
      method: "POST",
      url: "/sessions",
      headers: { "x-api-key": "k" },
      payload: { call_id: "after-fuzz" },
    });
    expect(start.statusCode).toBe(201);
    const closed = await app.inject({ method: "DELETE", url: `/sessions/${start.json().session_id}` });
    expect(closed.statusCode).toBe(202);
  }, 120_000);

  it("raw sockets: garbage, pipelining, cut and slow bodies get {detail} or a clean close", async () => {
    const send = (payload: string, holdMs = 0): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(Number(new URL(baseUrl).port), "127.0.0.1");
        let received = "";
        socket.on("data", (d) => {
          received += d.toString("latin1");
        });
        socket.on("error", () => undefined);
        socket.on("close", () => resolve(received));
        socket.on("connect", () => {
          socket.write(payload);
          setTimeout(() => socket.end(), holdMs);
        });
      });
    const samples = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
        fc.constant(
          "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /ready HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        fc.constant(
          "POST /sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        ),
        fc.constant(
          "POST /sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n{}",
        ),
        fc.constant(
          'POST /local/calls/fuzz-call/offer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"sdp"',
        ),
        fc.constant(`GET /${"a".repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      ),
      { numRuns: 200, seed: 11 },
    );
    for (const payload of samples) {
      const response = await send(payload, 20);
      for (const m of response.matchAll(/HTTP\/1\.1 (\d{3})/g)) expect(Number(m[1])).toBeLessThan(500);
      for (const leak of LEAKS) expect(response).not.toMatch(leak);
    }
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
  }, 120_000);
});
