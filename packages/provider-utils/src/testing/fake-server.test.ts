import { afterEach, describe, expect, it } from "vitest";
import { readSseEvents } from "../sse.js";
import { ProviderSocket } from "../websocket.js";
import { FakeServer } from "./fake-server.js";

let server: FakeServer;
afterEach(async () => {
  await server?.close();
});

async function sseServer(count: number) {
  server = await FakeServer.start({
    http: async (_req, res) => {
      const sse = await res.sse();
      for (let i = 0; i < count; i++) sse.event({ n: i });
      sse.end();
    },
  });
}

async function events(path = "/stream") {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method: "POST",
    body: JSON.stringify({ q: 1 }),
  });
  const got: string[] = [];
  try {
    for await (const e of readSseEvents(response.body!)) got.push(e.data);
  } catch (error) {
    got.push(`error: ${(error as Error).message}`);
  }
  return { status: response.status, got };
}

describe("FakeServer", () => {
  it("streams SSE events and records the request", async () => {
    await sseServer(3);
    expect(await events()).toEqual({ status: 200, got: ['{"n":0}', '{"n":1}', '{"n":2}'] });
    expect(server.requests[0]).toMatchObject({ method: "POST", path: "/stream", json: { q: 1 } });
  });

  it("drops the connection after N messages", async () => {
    await sseServer(5);
    server.faults.dropAfterMessages = 2;
    const { got } = await events();
    expect(got.slice(0, 2)).toEqual(['{"n":0}', '{"n":1}']);
    expect(got[2]).toMatch(/^error: /);
  });

  it("sends one malformed message, then behaves", async () => {
    await sseServer(2);
    server.faults.malformedNext = true;
    expect((await events()).got).toEqual(["{not json", '{"n":1}']);
    expect((await events()).got).toEqual(['{"n":0}', '{"n":1}']);
  });

  it("answers the service's 429 the next N times, and refuses a bad key", async () => {
    server = await FakeServer.start({
      http: (_req, res) => res.json(200, { ok: true }),
      rateLimited: { status: 429, body: { error: { code: 429 } }, headers: { "retry-after": "3" } },
      authorize: ({ headers }) => headers["x-api-key"] === "good",
    });
    server.faults.rateLimitNext = 1;
    const ask = (key: string) => fetch(server.httpUrl, { headers: { "x-api-key": key } });
    const limited = await ask("good");
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "3"]);
    expect((await ask("good")).status).toBe(200);
    expect((await ask("bad")).status).toBe(401);
    server.faults.badKey = true;
    expect((await ask("good")).status).toBe(401);
  });

  it("holds the first byte as long as asked", async () => {
    await sseServer(1);
    server.faults.firstByteDelayMs = 150;
    const started = performance.now();
    await events();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("applies the message faults to WebSocket messages too", async () => {
    server = await FakeServer.start({
      websocket: (s) => {
        for (let i = 0; i < 4; i++) s.sendJson({ n: i });
      },
    });
    server.faults.malformedNext = true;
    server.faults.dropAfterMessages = 3;
    const socket = await ProviderSocket.connect(server.wsUrl, { provider: "t", where: "T" });
    const got: string[] = [];
    socket.on("message", (m) => got.push(m.data as string));
    const closed = await socket.closed;
    expect(got).toEqual(["{not json", '{"n":1}', '{"n":2}']);
    expect(closed.code).toBe(1006);
  });
});
