// Every log line a session writes (launcher, agent, voice loop, edge connection) carries its
// session_id and call_id, so one session's story can be read out of a busy node's logs.
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import type { Logger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { FakeLLM } from "../testing/fake-llm.js";
import { FakeTTS } from "../testing/fake-tts.js";
import { AgentLauncher } from "./launcher.js";
import type { SessionEndedEvent } from "./types.js";

type Line = Record<string, unknown> & { msg: string };

/** A pino logger at DEBUG whose lines land in `lines`, parsed. */
function capturingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line) as Line) });
  return { logger, lines };
}

const launchers: AgentLauncher[] = [];
afterEach(async () => {
  await Promise.all(launchers.splice(0).map((l) => l.stop()));
});

function ended(launcher: AgentLauncher, sessionId: string): Promise<SessionEndedEvent> {
  return new Promise((resolve) => {
    const off = launcher.on("session_ended", (event) => {
      if (event.sessionId === sessionId) {
        off();
        resolve(event);
      }
    });
  });
}

describe("session logs", () => {
  it("carry session_id and call_id on every line from start to end", async () => {
    const { logger, lines } = capturingLogger();
    let agents = 0;
    const launcher = new AgentLauncher({
      createAgent: () => {
        agents += 1;
        if (agents === 3) throw new Error("no agent for you");
        return new Agent({
          edge: new FakeEdge(),
          llm: new FakeLLM({ replies: ["Hello there."] }),
          tts: new FakeTTS(),
        });
      },
      joinCall: async (agent, callType, callId) => {
        const call = await agent.createCall(callType, callId);
        await agent.join(call, () => agent.finish());
      },
      logger,
      maintenanceIntervalMs: 60_000,
      registryTtlMs: 120_000,
    });
    launchers.push(launcher);
    await launcher.start();
    const from = lines.length;

    const info = await launcher.startSession({ callId: "call-logs" });
    const agent = launcher.localAgent(info.sessionId)!;
    for (let i = 0; i < 100 && agent.connection === undefined; i++) await new Promise((r) => setImmediate(r));
    await agent.simpleResponse("Hi!"); // the voice loop, the LLM and the TTS at work
    const end = ended(launcher, info.sessionId);
    await launcher.closeSession(info.sessionId);
    await end;
    const session = lines.slice(from);

    // a start that fails also names the session it would have been and its call
    await expect(launcher.startSession({ callId: "call-failed" })).rejects.toThrow(/Failed to start agent/);
    const failed = lines.slice(from + session.length);

    const messages = session.map((l) => l.msg);
    // the launcher's lines and the agent's (join, transcripts) alike
    expect(messages).toEqual(
      expect.arrayContaining([
        "session started",
        "agent joined call",
        "transcript",
        "session ending",
        "session ended",
      ]),
    );
    expect(session.length).toBeGreaterThan(5);
    for (const line of session) {
      expect(line, line.msg).toMatchObject({ session_id: info.sessionId, call_id: "call-logs" });
      expect(line.node_id).toBe(launcher.nodeId);
    }
    expect(failed.map((l) => l.msg)).toContain("failed to start agent");
    for (const line of failed) {
      expect(line, line.msg).toMatchObject({ call_id: "call-failed", session_id: expect.any(String) });
    }
  });
});
