import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWav } from "@callwright/provider-utils";
import { describe, expect, it } from "vitest";
import {
  concat,
  FakeClock,
  FakeEdge,
  FakeLLM,
  FakeSTT,
  FakeTTS,
  nextEvent,
  silence,
  speechLike,
} from "../testing/index.js";
import { Agent } from "./agent.js";

const RATE = 48000;
const utterance = (speechMs: number) =>
  concat(
    silence({ durationMs: 200, sampleRateHz: RATE }),
    speechLike({ durationMs: speechMs, sampleRateHz: RATE }),
    silence({ durationMs: 700, sampleRateHz: RATE }),
  );

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
const macrotask = () => new Promise((resolve) => setImmediate(resolve));

describe("close during a turn", () => {
  it("while thinking: the LLM call is aborted and no timer, stream or listener is left", async () => {
    const before = timeouts();
    const edge = new FakeEdge();
    const llm = new FakeLLM({ replies: [{ text: "Too late.", firstTokenDelayMs: 10_000 }] });
    const stt = new FakeSTT({ transcripts: ["hello"], latencyMs: 30 });
    const agent = new Agent({ edge, llm, stt, tts: new FakeTTS() });
    await agent.join(await agent.createCall("default", "c"));
    const conn = edge.connection;
    const thinking = nextEvent(agent, "agent_state", (s) => s === "thinking");
    conn.feedAudio("alice", utterance(500));
    await thinking;

    await agent.close();
    await agent.close(); // idempotent
    await macrotask();
    // The LLM's pending 10 s wait (a Node timer) is gone with everything else the turn held.
    expect(timeouts()).toBeLessThanOrEqual(before);
    expect(llm.aborted).toBe(1);
    expect(stt.openStreams).toBe(0);
    expect(conn.closed).toBe(true);
    expect(agent.state).toBe("idle");
    expect(agent.listenerCount("transcript")).toBe(0);
    expect(await agent.finish()).toBe("closed");
    expect(agent.metrics.snapshot().llm_cancelled__total).toBe(1);
  });

  it("while speaking: pacing stops, the reply is kept as heard, nothing is left on the clock", async () => {
    const clock = new FakeClock();
    const edge = new FakeEdge();
    const tts = new FakeTTS({ msPerChar: 20 });
    const agent = new Agent({
      edge,
      clock,
      llm: new FakeLLM({ replies: ["A long answer that takes a while to say out loud."] }),
      stt: new FakeSTT({ transcripts: ["hello"] }),
      tts,
    });
    await agent.join(await agent.createCall("default", "c"));
    const conn = edge.connection;
    const speaking = nextEvent(agent, "agent_state", (s) => s === "agent_speaking");
    conn.feedAudio("alice", utterance(500));
    await speaking;
    await clock.advance(200);
    expect(conn.played.length).toBe(11); // the first frame at once, then one per 20 ms
    expect(clock.pendingTimers).toBeGreaterThan(0);

    await agent.close();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1000);
    expect(conn.played.length).toBe(11);
    expect(agent.history.at(-1)).toMatchObject({ role: "assistant", interrupted: true });
    // 11 frames (220 ms) of 49 chars × 20 ms: the first ~11 characters, to a whole word.
    expect(agent.history.at(-1)?.content).toBe("A long");
  });

  it("while the user is mid-turn: the endpointing timer is released", async () => {
    const clock = new FakeClock();
    const edge = new FakeEdge();
    const agent = new Agent({
      edge,
      clock,
      llm: new FakeLLM({ replies: ["never"] }),
      stt: new FakeSTT({ transcripts: ["hello"] }),
      tts: new FakeTTS(),
      endpointing: { minDelayMs: 2000 },
    });
    await agent.join(await agent.createCall("default", "c"));
    edge.connection.feedAudio("alice", utterance(500));
    await macrotask();
    expect(agent.state).toBe("user_speaking");
    expect(clock.pendingTimers).toBeGreaterThan(0);
    await agent.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it("the call ending closes the voice loop and resolves finish()", async () => {
    const edge = new FakeEdge();
    const stt = new FakeSTT();
    const agent = new Agent({ edge, stt });
    await agent.join(await agent.createCall("default", "c"));
    edge.connection.feedAudio("alice", utterance(200));
    edge.connection.end("everyone left");
    expect(await agent.finish()).toBe("everyone left");
    expect(stt.openStreams).toBe(0);
    await agent.close();
  });
});

describe("endpointing with a clock", () => {
  it("ends the turn at max delay when the STT never answers", async () => {
    const clock = new FakeClock();
    const edge = new FakeEdge();
    const llm = new FakeLLM({ replies: ["Hm?"] });
    const agent = new Agent({
      edge,
      clock,
      llm,
      // The transcript arrives as an interim only; the final never comes.
      stt: new FakeSTT({ transcripts: [{ text: "are you there", latencyMs: 60_000 }], clock }),
      tts: new FakeTTS(),
    });
    await agent.join(await agent.createCall("default", "c"));
    edge.connection.feedAudio("alice", utterance(800));
    await clock.advance(2000);
    expect(agent.state).toBe("user_speaking");
    expect(llm.requests).toHaveLength(0);
    await clock.advance(1000);
    expect(agent.state).not.toBe("user_speaking");
    expect(llm.requests[0]?.messages.at(-1)).toMatchObject({ role: "user", content: "are you" });
    await agent.close();
  });
});

describe("the Agent API", () => {
  it("join() works with `await using` and leaves the call at the end of the block", async () => {
    const edge = new FakeEdge();
    const agent = new Agent({ edge });
    {
      await using session = await agent.join(await agent.createCall("default", "c1"));
      expect(session.call.id).toBe("c1");
      expect(agent.state).toBe("listening");
    }
    expect(edge.connection.closed).toBe(true);
    expect(await agent.finish()).toBe("left");
    await agent.close();
  });

  it("join(call, body) runs the body in the call and returns its result", async () => {
    const edge = new FakeEdge();
    const agent = new Agent({ edge, tts: new FakeTTS({ msPerChar: 1 }) });
    const said = await agent.join(await agent.createCall("default", "c2"), async () => {
      const outcome = await agent.say("Hello.");
      return outcome.text;
    });
    expect(said).toBe("Hello.");
    expect(edge.connection.closed).toBe(true);
    await agent.close();
  });

  it("interrupt() cuts the agent off like a barge-in", async () => {
    const edge = new FakeEdge();
    const agent = new Agent({ edge, tts: new FakeTTS({ msPerChar: 20 }) });
    await agent.join(await agent.createCall("default", "c3"));
    const saying = agent.say("A sentence that takes about a second to say.");
    await edge.connection.waitForPlayed(200);
    agent.interrupt();
    const outcome = await saying;
    expect(outcome.interrupted).toBe(true);
    expect(outcome.text.length).toBeGreaterThan(0);
    expect(outcome.text.length).toBeLessThan(20);
    expect(edge.connection.clears).toBe(1);
    expect(agent.state).toBe("listening");
    await agent.close();
  });

  it("refuses bad options with a message that names them", () => {
    expect(
      () => new Agent({ edge: new FakeEdge(), endpointing: { minDelayMs: 800, maxDelayMs: 500 } }),
    ).toThrow(/maxDelayMs \(500\) must be ≥ minDelayMs \(800\)/);
  });

  it("tells the page who it is", async () => {
    const edge = new FakeEdge();
    const agent = new Agent({ edge, llm: new FakeLLM(), stt: new FakeSTT(), tts: new FakeTTS() });
    await agent.join(await agent.createCall("default", "c"));
    expect(edge.connection.uiEvents[0]).toMatchObject({ type: "agent_state", state: "listening" });
    expect(edge.connection.uiEvents[1]).toEqual({
      type: "info",
      agentName: "Agent",
      llm: "fake/fake-llm",
      stt: "fake/fake-stt",
      tts: "fake/fake-tts",
      vad: "callwright/energy",
    });
    await agent.close();
  });
});

describe.skipIf(!existsSync("/usr/bin/flite"))("real speech", () => {
  it("a flite recording is one user turn, through the default energy VAD", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-flite-"));
    try {
      const path = join(dir, "q.wav");
      execFileSync("flite", [
        "-voice",
        "kal16",
        "-t",
        "What is the weather like in Paris today?",
        "-o",
        path,
      ]);
      const speech = readWav(readFileSync(path));
      const edge = new FakeEdge({ outputSampleRateHz: 16000 });
      const llm = new FakeLLM({ replies: ["Sunny."] });
      const agent = new Agent({
        edge,
        llm,
        stt: new FakeSTT({ transcripts: ["what is the weather like in paris today"] }),
        tts: new FakeTTS({ msPerChar: 1 }),
      });
      await agent.join(await agent.createCall("default", "c"));
      const metrics = nextEvent(agent, "metrics");
      edge.connection.feedAudio(
        "alice",
        concat(
          silence({ durationMs: 300, sampleRateHz: speech.sampleRateHz }),
          speech,
          silence({ durationMs: 800, sampleRateHz: speech.sampleRateHz }),
        ),
      );
      await metrics;
      expect(llm.requests).toHaveLength(1);
      const spokenMs = (speech.samples.length / speech.sampleRateHz) * 1000;
      const turnMs = agent.metrics.snapshot().turn_duration_ms__avg!;
      // The VAD's speech span covers the recording's voiced part (flite pads ~100 ms each side).
      expect(turnMs).toBeGreaterThan(spokenMs - 400);
      expect(turnMs).toBeLessThan(spokenMs + 100);
      await agent.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("what the agent owns", () => {
  /** Gives `part` a close() that counts its calls. */
  const counted = <T extends object>(part: T) => {
    const counter = { calls: 0 };
    Object.defineProperty(part, "close", {
      value: async () => {
        counter.calls += 1;
      },
    });
    return { part, counter };
  };

  it("closes its edge and models when it closes, and not when told they are shared", async () => {
    for (const closeComponents of [true, false]) {
      const edge = counted(new FakeEdge());
      const llm = counted(new FakeLLM());
      const stt = counted(new FakeSTT());
      const tts = counted(new FakeTTS());
      const agent = new Agent({
        edge: edge.part,
        llm: llm.part,
        stt: stt.part,
        tts: tts.part,
        closeComponents,
      });
      await agent.join(await agent.createCall("default", "c"));
      await agent.close();
      await agent.close();
      const expected = closeComponents ? 1 : 0;
      expect([edge, llm, stt, tts].map((c) => c.counter.calls)).toEqual([
        expected,
        expected,
        expected,
        expected,
      ]);
    }
  });

  it("times being alone and being in the call on its own clock", async () => {
    const clock = new FakeClock();
    const edge = new FakeEdge();
    const agent = new Agent({ edge, clock });
    try {
      await agent.join(await agent.createCall("default", "c"));
      await clock.advance(30_000);
      expect(agent.idleForMs()).toBe(30_000);
      edge.connection.join("bob");
      await clock.advance(600_000);
      expect(agent.idleForMs()).toBe(0);
      edge.connection.leave("bob");
      await clock.advance(59_999);
      expect(agent.idleForMs()).toBe(59_999);
      expect(agent.onCallForMs()).toBe(30_000 + 600_000 + 59_999);
    } finally {
      await agent.close();
    }
  });

  it("refuses misuse with a state error that says what to do", async () => {
    const agent = new Agent({ edge: new FakeEdge() });
    try {
      expect(() => agent.say("hi")).toThrow(/needs the agent in a call: await agent.join\(call\) first/);
      const call = await agent.createCall("default", "c");
      await agent.join(call);
      await expect(agent.join(call)).rejects.toMatchObject({ name: "StateError", code: "agent_in_call" });
    } finally {
      await agent.close();
    }
  });
});
