// Over a real socket: a stalled request is answered 408 and closed by the configured timeout;
// what Node's HTTP parser refuses (a bad request line, huge headers) answers `{"detail": ...}`;
// a client that hangs up mid-body is a debug line, not an error with a stack (issue 11, 3 and 5).
import { connect, type Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { buildServer } from "./build.js";
import { resolveServeOptions, type ServeOptions } from "./options.js";

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function listen(serveOptions: ServeOptions = {}, logLines?: string[]) {
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new FakeEdge() }),
    joinCall: async (agent, type, id) => {
      await agent.join(await agent.createCall(type, id), () => agent.finish());
    },
    logger: silentLogger,
  });
  const httpLogger =
    logLines === undefined
      ? undefined
      : pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  const app = buildServer(launcher, serveOptions, httpLogger === undefined ? {} : { httpLogger });
  apps.push(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address() as { port: number };
  return address.port;
}

/** Sends `chunks` over a raw socket and collects what comes back until the server closes it. */
function raw(port: number, chunks: (string | Buffer)[]): { socket: Socket; closed: Promise<string> } {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (data) => {
    received += data.toString("latin1");
  });
  const closed = new Promise<string>((resolve) => {
    socket.on("close", () => resolve(received));
    socket.on("error", () => undefined);
  });
  socket.on("connect", () => {
    for (const chunk of chunks) socket.write(chunk);
  });
  return { socket, closed };
}

function detailOf(response: string): { status: number; body: unknown } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
  const body = response.slice(response.indexOf("\r\n\r\n") + 4);
  return { status, body: JSON.parse(body) };
}

describe("request timeouts", () => {
  it("a body that stalls is answered 408 in {detail} and its connection closed", async () => {
    const port = await listen({ requestTimeoutMs: 400, headersTimeoutMs: 300 });
    const startedAt = Date.now();
    const { closed } = raw(port, [
      "POST /sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    ]);
    const response = await closed;
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    const { status, body } = detailOf(response);
    expect(status).toBe(408);
    expect(body).toEqual({ detail: "The request did not arrive in time" });
  });

  it("headers that never end are cut off too", async () => {
    const port = await listen({ requestTimeoutMs: 400, headersTimeoutMs: 300 });
    const { closed } = raw(port, ["GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a"]);
    const { status } = detailOf(await closed);
    expect(status).toBe(408);
  });

  it("the defaults: 30 s for a request, 10 s for its headers, from the environment too", () => {
    const resolved = resolveServeOptions({});
    expect(resolved.requestTimeoutMs).toBe(30_000);
    expect(resolved.headersTimeoutMs).toBe(10_000);
    expect(() => resolveServeOptions({ requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/);
  });
});

describe("errors of Node's HTTP parser", () => {
  it("a malformed request line is 400 in {detail}", async () => {
    const port = await listen();
    const { status, body } = detailOf(await raw(port, ["GARBAGE\x00 / HTTP/9\r\n\r\n"]).closed);
    expect(status).toBe(400);
    expect(body).toEqual({ detail: "Bad Request" });
  });

  it("headers over the limit are 431 in {detail}", async () => {
    const port = await listen();
    const huge = `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`;
    const { status, body } = detailOf(await raw(port, [huge]).closed);
    expect(status).toBe(431);
    expect(body).toEqual({ detail: "The request's headers are too large" });
  });

  it("a client hanging up mid-body is logged at debug, without a stack, and the server goes on", async () => {
    const lines: string[] = [];
    const port = await listen({}, lines);
    for (let i = 0; i < 5; i++) {
      const { socket, closed } = raw(port, [
        "POST /sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
      ]);
      await new Promise((r) => setTimeout(r, 100));
      socket.destroy();
      await closed;
    }
    await new Promise((r) => setTimeout(r, 200));
    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown });
    expect(records.filter((r) => r.level >= 40)).toEqual([]);
    expect(records.some((r) => r.msg.includes("closed the connection"))).toBe(true);
    expect(records.every((r) => r.err === undefined)).toBe(true);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
  });
});
