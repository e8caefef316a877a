// Agent faults stay in their session (issue 11, defect 4): a real `serve` process runs a healthy
// session next to agents that throw, reject, throw from a timer and hang; each faulty session
// ends alone (logged with its ids), the healthy one and the process go on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, spawnAgent } from "../e2e/helpers/control-plane-process.js";

const json = { "content-type": "application/json" };
let agent: AgentProcess & { url: string };

beforeAll(async () => {
  const p = spawnAgent(
    ["serve", "--port", "0", "--agents-log-level", "WARNING"],
    { CALLWRIGHT_JOIN_TIMEOUT_S: "1.5", CALLWRIGHT_MAINTENANCE_INTERVAL_S: "0.2" },
    "test/faults/fault-agent.ts",
  );
  const [, url] = await p.waitFor(/listening on (http:\/\/\S+)/, 60_000);
  await p.waitFor(/callwright: ready/, 60_000);
  agent = Object.assign(p, { url: url! });
}, 90_000);
afterAll(() => agent?.kill());

async function start(callId: string): Promise<string> {
  const r = await fetch(`${agent.url}/sessions`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ call_id: callId }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { session_id: string }).session_id;
}

async function status(sessionId: string): Promise<number> {
  return (await fetch(`${agent.url}/sessions/${sessionId}`)).status;
}

/** Waits until the session is gone (404), within `timeoutMs`. */
async function gone(sessionId: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await status(sessionId)) === 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`session ${sessionId} still runs after ${timeoutMs} ms`);
}

/** The JSON log lines of the agents on stdout. */
function logRecords(): { level: number; msg: string; session_id?: string; call_id?: string }[] {
  return agent
    .stdout()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

describe("agent faults end only their own session", () => {
  it("throwing, rejecting, timer-throwing and hanging agents; the healthy one and the process go on", async () => {
    const healthy = await start("healthy-1");
    await agent.waitFor(/healthy agent healthy-1 ticking/);

    const faulty = {
      throw: await start("throw-1"),
      reject: await start("reject-1"),
      timer: await start("timer-1"),
      hang: await start("hang-1"),
    };
    for (const sessionId of Object.values(faulty)) await gone(sessionId);

    // The process still runs, still serves, and the healthy session is still there.
    expect(agent.child.exitCode).toBeNull();
    expect(await status(healthy)).toBe(200);
    expect((await fetch(`${agent.url}/health`)).status).toBe(200);
    const again = await start("healthy-2");
    expect(await status(again)).toBe(200);

    // Each fault is logged with the ids of its session.
    const records = logRecords();
    for (const [kind, callId] of [
      ["timer", "timer-1"],
      ["reject", "reject-1"],
    ] as const) {
      const fault = records.find((r) => r.msg.startsWith("agent fault") && r.call_id === callId);
      expect(fault, `${kind} fault logged`).toMatchObject({ session_id: faulty[kind], call_id: callId });
    }
    expect(
      records.find((r) => r.msg.includes("did not join its call in time") && r.call_id === "hang-1"),
    ).toMatchObject({ session_id: faulty.hang });
    // The healthy agent's timer was never held up for long by the others' failures.
    const [, worst] = await agent.waitFor(/healthy healthy-1 worst tick lateness (\d+) ms/, 15_000);
    expect(Number(worst)).toBeLessThan(2_000);
  }, 60_000);
});
