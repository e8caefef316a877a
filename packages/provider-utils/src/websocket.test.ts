import { ProviderError } from "@callwright/spec";
import { afterEach, describe, expect, it } from "vitest";
import { FakeServer } from "./testing/fake-server.js";
import { ProviderSocket, type SocketMessage } from "./websocket.js";

let server: FakeServer;
afterEach(async () => {
  await server?.close();
});

const base = { provider: "acme", where: "Acme" } as const;

async function echoServer(options: Parameters<typeof FakeServer.start>[0] = {}) {
  server = await FakeServer.start({
    websocket: (socket) => {
      socket.onMessage((m) => socket.send(m.data));
    },
    ...options,
  });
  return server;
}

describe("ProviderSocket", () => {
  it("connects with the headers, sends and receives text and binary", async () => {
    await echoServer();
    const socket = await ProviderSocket.connect(`${server.wsUrl}/v1/x?a=1`, {
      ...base,
      headers: { authorization: "Token k" },
    });
    const got: SocketMessage[] = [];
    socket.on("message", (m) => got.push(m));
    socket.send("hello");
    socket.send(new Uint8Array([1, 2, 3]));
    await expect.poll(() => got.length).toBe(2);
    expect(got[0]).toEqual({ binary: false, data: "hello" });
    expect(got[1]?.binary).toBe(true);
    expect([...(got[1]!.data as Uint8Array)]).toEqual([1, 2, 3]);
    expect(server.sockets[0]?.headers.authorization).toBe("Token k");
    expect(server.sockets[0]?.url.searchParams.get("a")).toBe("1");
    const close = await socket.close();
    expect(close).toMatchObject({ code: 1000, error: undefined });
    expect(socket.send("late")).toBe(false);
  });

  it("turns a refused handshake into an auth error with the provider's words and the hint", async () => {
    await echoServer({ authFailure: { status: 401, body: { err_msg: "Invalid credentials." } } });
    server.faults.badKey = true;
    const error = await ProviderSocket.connect(server.wsUrl, {
      ...base,
      refusalHint: (status) => (status === 401 ? "Check ACME_API_KEY." : undefined),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "auth", status: 401, retryable: false });
    expect((error as Error).message).toBe(
      "Acme answered 401 Refused: Invalid credentials.. Check ACME_API_KEY.",
    );
  });

  it("reads the wait a 429 asks for", async () => {
    await echoServer();
    server.faults.rateLimitNext = 1;
    const error = await ProviderSocket.connect(server.wsUrl, base).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "rate_limit", retryable: true, retryAfterMs: 1000 });
    await (await ProviderSocket.connect(server.wsUrl, base)).close(); // the next one is let in
  });

  it("times out a handshake that does not complete, naming the option", async () => {
    await echoServer();
    server.faults.firstByteDelayMs = 500;
    const error = await ProviderSocket.connect(server.wsUrl, { ...base, connectTimeoutMs: 50 }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ kind: "timeout", retryable: true });
    expect((error as Error).message).toMatch(/within 50 ms \(option connectTimeoutMs\)/);
  });

  it("reports a refused connection as a retryable connection error", async () => {
    await echoServer();
    const port = server.port;
    await server.close();
    const error = await ProviderSocket.connect(`ws://127.0.0.1:${port}`, base).catch((e) => e);
    expect(error).toMatchObject({ kind: "connection", retryable: true });
    expect((error as Error).message).toMatch(/could not reach Acme \(ECONNREFUSED\)/);
  });

  it("maps a dropped connection and the provider's close codes to typed errors", async () => {
    await echoServer({
      websocket: (s) => {
        s.onMessage((m) => (m.data === "drop" ? s.drop() : s.close(1011, "oops")));
      },
    });
    const a = await ProviderSocket.connect(server.wsUrl, base);
    a.send("drop");
    expect(await a.closed).toMatchObject({ code: 1006, error: { kind: "connection", retryable: true } });
    const b = await ProviderSocket.connect(server.wsUrl, {
      ...base,
      closeKind: (code) => (code === 1011 ? "auth" : undefined),
    });
    b.send("close");
    const closed = await b.closed;
    expect(closed.error).toMatchObject({ kind: "auth", status: 1011 });
    expect(closed.error?.message).toBe("Acme closed the connection (code 1011: oops).");
  });

  it("sends the protocol's keep-alive while nothing else is sent", async () => {
    server = await FakeServer.start({ websocket: () => {} });
    const socket = await ProviderSocket.connect(server.wsUrl, {
      ...base,
      keepAlive: { intervalMs: 30, message: () => JSON.stringify({ type: "KeepAlive" }) },
    });
    await expect
      .poll(() => server.sockets[0]?.received.length ?? 0, { timeout: 2000 })
      .toBeGreaterThanOrEqual(3);
    expect(server.sockets[0]?.received[0]).toEqual({ binary: false, data: '{"type":"KeepAlive"}' });
    await socket.close();
    const count = server.sockets[0]!.received.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(server.sockets[0]!.received.length).toBe(count); // nothing after close
  });

  it("drops a socket whose provider never answers the close", async () => {
    server = await FakeServer.start({ websocket: () => {} });
    const socket = await ProviderSocket.connect(server.wsUrl, { ...base, closeTimeoutMs: 50 });
    // Stop the fake from answering close frames: pause its side of the TCP connection.
    const started = performance.now();
    await socket.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
