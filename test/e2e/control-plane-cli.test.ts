// The default example agent as a user runs it: CLI flags, environment, signals, `run`.
import { afterEach, describe, expect, it } from "vitest";
import { type AgentProcess, spawnAgent, startServe } from "./helpers/control-plane-process.js";

const spawned: AgentProcess[] = [];
afterEach(() => {
  for (const p of spawned.splice(0)) p.kill();
});
function track<T extends AgentProcess>(p: T): T {
  spawned.push(p);
  return p;
}

const json = { "content-type": "application/json" };

describe("CLI flags", () => {
  it("serve --help lists every option with its default", async () => {
    const p = track(spawnAgent(["serve", "--help"]));
    expect(await p.exited).toBe(0);
    const help = p.stdout().replace(/\s+/g, " ");
    expect(help).toContain('--host <host> bind address (default: "127.0.0.1")');
    expect(help).toMatch(/--port <port> port \(0 = any free port, printed at start\) \(default: 8000\)/);
    expect(help).toMatch(
      /--agents-log-level <level> .*DEBUG, INFO, WARNING, ERROR, CRITICAL.*\(default: "INFO"\)/,
    );
    expect(help).toMatch(/--http-log-level <level> .*\(default: "INFO"\)/);
  });

  it("run --help lists its options", async () => {
    const p = track(spawnAgent(["run", "--help"]));
    expect(await p.exited).toBe(0);
    const help = p.stdout().replace(/\s+/g, " ");
    expect(help).toContain('--call-type <type> call type (default: "default")');
    expect(help).toContain("--call-id <id> call id (random if absent)");
    expect(help).toMatch(/--log-level <level> .*\(default: "INFO"\)/);
    expect(help).toContain("--no-demo");
  });

  it.concurrent.for<[string[], string]>([
    [["serve", "--port", "abc"], "--port"],
    [["serve", "--port", "70000"], "--port"],
    [["serve", "--agents-log-level", "LOUD"], "--agents-log-level"],
    [["serve", "--http-log-level", ""], "--http-log-level"],
    [["serve", "--bogus"], "--bogus"],
    [["run", "--log-level", "verbose"], "--log-level"],
    [["run", "--call-id", "x".repeat(300)], "--call-id"],
  ])("%j exits non-zero with one line naming %s", async ([args, name], { onTestFinished }) => {
    const p = spawnAgent(args);
    onTestFinished(() => p.kill());
    expect(await p.exited).not.toBe(0);
    const lines = p.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(p.stderr()).not.toMatch(/\n\s+at /);
  });

  it("takes log levels in any case and prints the port it got for --port 0", async () => {
    const p = track(await startServe(["--agents-log-level", "warning", "--http-log-level", "Error"]));
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(p.url).port)).toBeGreaterThan(0);
    expect((await fetch(`${p.url}/health`)).status).toBe(200);
  });
});

describe("environment configuration", () => {
  it.concurrent.for<[string, string]>([
    ["CALLWRIGHT_MAX_CONCURRENT_SESSIONS", "abc"],
    ["CALLWRIGHT_AGENT_IDLE_TIMEOUT_S", "-1"],
    ["CALLWRIGHT_DRAIN_TIMEOUT_S", "soon"],
    ["CORS_ALLOW_CREDENTIALS", "maybe"],
    ["CALLWRIGHT_REDIS_URL", "http://127.0.0.1:6379"],
  ])("a malformed %s stops start-up with one line naming it", async ([name, value], { onTestFinished }) => {
    const p = spawnAgent(["serve", "--port", "0"], { [name]: value });
    onTestFinished(() => p.kill());
    expect(await p.exited).toBe(1);
    const lines = p.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(p.stdout()).not.toContain("listening");
  });

  it("applies the limits and CORS settings it reads", async () => {
    const p = track(
      await startServe([], {
        CALLWRIGHT_MAX_CONCURRENT_SESSIONS: "1",
        CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0",
        CORS_ALLOW_ORIGINS: "https://a.com,https://b.com",
      }),
    );
    const first = await fetch(`${p.url}/sessions`, {
      method: "POST",
      headers: json,
      body: '{"call_id":"one"}',
    });
    expect(first.status).toBe(201);
    const second = await fetch(`${p.url}/sessions`, {
      method: "POST",
      headers: json,
      body: '{"call_id":"two"}',
    });
    expect(second.status).toBe(429);
    expect(await second.json()).toEqual({ detail: "Reached maximum number of concurrent sessions" });
    expect((await fetch(`${p.url}/ready`)).status).toBe(503);
    const preflight = (origin: string) =>
      fetch(`${p.url}/sessions`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
    expect((await preflight("https://b.com")).status).toBe(200);
    expect((await preflight("https://evil.com")).status).toBe(400);
  });
});

describe("signals", () => {
  it("SIGTERM drains: /ready and new starts get 503, sessions get the drain timeout, then exit 0", async () => {
    const p = track(
      await startServe([], { CALLWRIGHT_DRAIN_TIMEOUT_S: "1.5", CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0" }),
    );
    const started = await fetch(`${p.url}/sessions`, {
      method: "POST",
      headers: json,
      body: '{"call_id":"c"}',
    });
    expect(started.status).toBe(201);
    const { session_id: id } = (await started.json()) as { session_id: string };
    expect((await fetch(`${p.url}/ready`)).status).toBe(200);

    const t0 = performance.now();
    p.child.kill("SIGTERM");
    await p.waitFor(/draining/);
    const ready = await fetch(`${p.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ detail: "Server is not ready to accept requests" });
    const refused = await fetch(`${p.url}/sessions`, {
      method: "POST",
      headers: json,
      body: '{"call_id":"d"}',
    });
    expect(refused.status).toBe(503);
    expect((await fetch(`${p.url}/sessions/${id}`)).status).toBe(200); // still running during the drain
    expect((await fetch(`${p.url}/health`)).status).toBe(200);

    expect(await p.exited).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_400);
    expect(p.stdout()).toContain("callwright: stopped");
  });

  it("a session that ends during the drain lets the process exit early", async () => {
    const p = track(
      await startServe([], { CALLWRIGHT_DRAIN_TIMEOUT_S: "30", CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0" }),
    );
    const { session_id: id } = (await (
      await fetch(`${p.url}/sessions`, { method: "POST", headers: json, body: '{"call_id":"c"}' })
    ).json()) as { session_id: string };
    p.child.kill("SIGTERM");
    await p.waitFor(/draining/);
    expect((await fetch(`${p.url}/sessions/${id}`, { method: "DELETE" })).status).toBe(202);
    expect(await p.exited).toBe(0);
  });

  it("a second signal exits at once", async () => {
    const p = track(
      await startServe([], { CALLWRIGHT_DRAIN_TIMEOUT_S: "60", CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0" }),
    );
    await fetch(`${p.url}/sessions`, { method: "POST", headers: json, body: '{"call_id":"c"}' });
    p.child.kill("SIGINT");
    await p.waitFor(/draining/);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(130);
  });
});

describe("run", () => {
  it("joins one call, prints where it is, and exits 0 when the session ends", async () => {
    const p = track(
      spawnAgent(
        [
          "run",
          "--no-demo",
          "--call-id",
          "demo-call",
          "--call-type",
          "audio",
          "--port",
          "0",
          "--log-level",
          "error",
        ],
        {
          CALLWRIGHT_AGENT_IDLE_TIMEOUT_S: "0.2",
          CALLWRIGHT_MAINTENANCE_INTERVAL_S: "0.05",
        },
      ),
    );
    await p.waitFor(/joining call audio\/demo-call \(session [0-9a-f-]{36}\)/);
    // The page URL carries a join token for the call, so it works on a guarded server too.
    await p.waitFor(/callwright: open http:\/\/127\.0\.0\.1:\d+\/\?call_id=demo-call&token=[\w.%-]+/);
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain("session ended (idle)");
  });

  it("SIGINT closes the session and exits 0", async () => {
    const p = track(spawnAgent(["run", "--no-demo", "--port", "0", "--log-level", "ERROR"]));
    await p.waitFor(/joining call default\/[0-9a-f-]{36}/);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain("session ended (closed)");
  });
});
