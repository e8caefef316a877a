import type { AgentUiEvent } from "@callwright/spec";
import { frameRms } from "@callwright/spec";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent } from "../agent/agent.js";
import { tool } from "../llm/tool.js";
import { concat, FakeEdge, FakeRealtime, nextEvent, silence, speechLike } from "../testing/index.js";
import { heardPart } from "./realtime-session.js";

const RATE = 48000;
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function start(options: { tools?: Agent["tools"]; bargeIn?: "model" | "vad" } = {}) {
  const model = new FakeRealtime();
  const edge = new FakeEdge({ outputSampleRateHz: RATE });
  const agent = new Agent({
    edge,
    llm: model,
    instructions: "Be brief.",
    ...(options.tools ? { tools: options.tools } : {}),
    ...(options.bargeIn ? { realtime: { bargeIn: options.bargeIn } } : {}),
  });
  agents.push(agent);
  await agent.join(await agent.createCall("default", "rt"));
  const session = await model.session();
  return { agent, model, session, conn: edge.connection };
}

const utterance = (speechMs: number) =>
  concat(
    silence({ durationMs: 200, sampleRateHz: RATE }),
    speechLike({ durationMs: speechMs, sampleRateHz: RATE }),
    silence({ durationMs: 700, sampleRateHz: RATE }),
  );

const transcripts = (events: AgentUiEvent[]) =>
  events.filter((e): e is Extract<AgentUiEvent, { type: "transcript" }> => e.type === "transcript");

describe("the realtime loop (Agent with a RealtimeModel as llm)", () => {
  it("opens one model session with the instructions and tools, and streams the call's audio to it at the model's rate", async () => {
    const weather = tool({
      name: "get_weather",
      description: "Weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) => ({ city, tempC: 21 }),
    });
    const { agent, session, conn } = await start({ tools: [weather] });
    expect(agent.llm).toBeUndefined();
    expect(agent.realtime?.modelId).toBe("fake-realtime");
    expect(session.options.instructions).toBe("Be brief.");
    expect(session.options.tools.map((t) => t.name)).toEqual(["get_weather"]);
    conn.feedAudio("alice", utterance(600));
    expect(session.audio.every((f) => f.sampleRateHz === 16000)).toBe(true);
    // 1.5 s of 48 kHz audio in, ~1.5 s of 16 kHz out (the resampler's delay aside).
    expect(session.audioMs).toBeGreaterThan(1400);
    expect(session.audioMs).toBeLessThanOrEqual(1500);
    const snapshot = agent.metrics.snapshot();
    expect(snapshot.realtime_audio_input_duration_ms__total).toBeCloseTo(session.audioMs, 0);
    expect(snapshot.realtime_audio_input_bytes__total).toBe(Math.round((session.audioMs * 16000 * 2) / 1000));
    const info = conn.uiEvents.find((e) => e.type === "info");
    expect(info).toMatchObject({ llm: "fake/fake-realtime (realtime)", stt: "none", tts: "none" });
  });

  it("paces the model's answer to the edge, sends transcripts to the page, and reports the turn", async () => {
    const { agent, session, conn } = await start();
    const metrics = nextEvent(agent, "metrics");
    conn.feedAudio("alice", utterance(600));
    session.emit({ type: "speech_started" });
    session.emit({ type: "input_transcript", itemId: "i1", text: "what's the weather", final: false });
    session.emit({ type: "speech_stopped" });
    session.emit({ type: "input_transcript", itemId: "i1", text: "What's the weather?", final: true });
    session.answer("It is sunny.", { audioMs: 400 });
    const [turn] = await metrics;
    await nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, { timeoutMs: 5000 });
    // All 400 ms played, at the edge's rate, with energy.
    const playedMs = conn.played.reduce((ms, f) => ms + (f.samples.length * 1000) / f.sampleRateHz, 0);
    expect(playedMs).toBeGreaterThanOrEqual(400);
    expect(playedMs).toBeLessThan(440);
    expect(conn.played.every((f) => f.sampleRateHz === RATE && f.samples.length === 960)).toBe(true);
    expect(Math.max(...conn.played.map(frameRms))).toBeGreaterThan(0.1);
    // Paced in real time, not burst: 20 frames over ≥ ~300 ms.
    expect(conn.playedAtMs.at(-1)! - conn.playedAtMs[0]!).toBeGreaterThan(300);
    expect(turn.turnId).toBe(1);
    expect(turn.e2eMs).not.toBeNull();
    expect(turn.frameworkMs).not.toBeNull();
    const texts = transcripts(conn.uiEvents).map((e) => [e.role, e.text, e.final]);
    expect(texts).toContainEqual(["user", "What's the weather?", true]);
    expect(texts).toContainEqual(["agent", "It is sunny.", true]);
    expect(conn.uiEvents.some((e) => e.type === "turn_metrics")).toBe(true);
    expect(agent.history).toEqual([
      { role: "user", content: "What's the weather?", participantId: "alice" },
      { role: "assistant", content: "It is sunny." },
    ]);
    const snapshot = agent.metrics.snapshot();
    expect(snapshot.realtime_audio_output_duration_ms__total).toBeCloseTo(400, 0);
    expect(snapshot.realtime_audio_output_bytes__total).toBe(400 * 24 * 2);
    expect(snapshot.realtime_user_transcriptions__total).toBe(1);
    expect(snapshot.realtime_agent_transcriptions__total).toBe(1);
    expect(snapshot.turns__total).toBe(1);
    expect(snapshot.turn_e2e_latency_ms__avg).not.toBeNull();
  });

  it("barges in on the model's speech-started: clears the edge at once and truncates the answer to what was played", async () => {
    const { agent, session, conn } = await start();
    const id = session.answer("One two three four five six seven eight nine ten.", {
      audioMs: 3000,
      end: false,
    });
    await conn.waitForPlayed(300);
    const interrupted = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final);
    session.emit({ type: "speech_started" });
    const [final] = await interrupted;
    expect(conn.clears).toBe(1);
    const played = conn.played.length * 20;
    expect(played).toBeLessThan(3000);
    expect(session.truncations).toHaveLength(1);
    expect(session.truncations[0]!.responseId).toBe(id);
    expect(session.truncations[0]!.playedMs).toBe(played);
    expect(final.text.length).toBeLessThan("One two three four five six seven eight nine ten.".length);
    expect(agent.history.at(-1)).toMatchObject({ role: "assistant", interrupted: true });
    expect(agent.metrics.snapshot().interruptions__total).toBe(1);
    // Late audio of the cut answer is dropped.
    const before = conn.played.length;
    session.emit({
      type: "audio",
      responseId: id,
      frame: { samples: new Int16Array(2400).fill(5000), sampleRateHz: 24000, channels: 1 },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(conn.played.length).toBe(before);
  });

  it("with bargeIn 'vad', our VAD stops the agent and cancels the model's answer", async () => {
    const { session, conn } = await start({ bargeIn: "vad" });
    session.answer("A long answer.", { audioMs: 3000, end: false });
    await conn.waitForPlayed(200);
    conn.feedAudio("alice", speechLike({ durationMs: 400, sampleRateHz: RATE }));
    await new Promise((r) => setTimeout(r, 50));
    expect(conn.clears).toBe(1);
    expect(session.cancels).toBe(1);
    expect(session.truncations).toHaveLength(1);
  });

  it("runs a tool call through the zod tool runner and sends the result back", async () => {
    const weather = tool({
      name: "get_weather",
      description: "Weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) => ({ city, tempC: 21 }),
    });
    const { agent, session } = await start({ tools: [weather] });
    const called = nextEvent(agent, "tool_call");
    session.emit({ type: "response_started", responseId: "r1" });
    session.emit({
      type: "tool_call",
      responseId: "r1",
      id: "call_1",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
    });
    const [record] = await called;
    expect(record).toMatchObject({
      name: "get_weather",
      isError: false,
      result: '{"city":"Paris","tempC":21}',
    });
    expect(session.toolResults).toEqual([
      { callId: "call_1", name: "get_weather", output: '{"city":"Paris","tempC":21}' },
    ]);
    // Invalid arguments reach the model as an error result, not a throw.
    const refused = nextEvent(agent, "tool_call");
    session.emit({ type: "tool_call", responseId: "r1", id: "call_2", name: "get_weather", arguments: "{}" });
    await refused;
    expect(session.toolResults[1]).toMatchObject({ callId: "call_2", isError: true });
    expect(agent.metrics.snapshot().llm_tool_calls__total).toBe(2);
    expect(agent.history.filter((m) => m.role === "tool")).toHaveLength(2);
  });

  it("mixes several participants into the one model input (summed, not played one after the other)", async () => {
    const { session, conn } = await start();
    conn.join("alice");
    conn.join("bob");
    const a = speechLike({ durationMs: 1000, sampleRateHz: RATE, levelDbfs: -30 });
    const b = speechLike({ durationMs: 1000, sampleRateHz: RATE, levelDbfs: -30, fundamentalHz: 210 });
    const frame = 960;
    for (let i = 0; i < a.samples.length; i += frame) {
      conn.feed("alice", { samples: a.samples.subarray(i, i + frame), sampleRateHz: RATE, channels: 1 });
      conn.feed("bob", { samples: b.samples.subarray(i, i + frame), sampleRateHz: RATE, channels: 1 });
    }
    // Two people talking for one second are one second of input, not two.
    expect(session.audioMs).toBeGreaterThan(850);
    expect(session.audioMs).toBeLessThanOrEqual(1000);
    // And louder than either alone: both voices are in it.
    const mixed = concat(...session.audio.map((f) => ({ ...f, samples: f.samples })));
    expect(frameRms(mixed)).toBeGreaterThan(frameRms(a) * 1.2);
  });

  it("simpleResponse sends text to the model and resolves when the answer has played", async () => {
    const { agent, session } = await start();
    const done = agent.simpleResponse("Hello?");
    await new Promise((r) => setTimeout(r, 10));
    expect(session.texts).toEqual(["Hello?"]);
    session.answer("Hi there.", { audioMs: 100 });
    const outcome = await done;
    expect(outcome).toMatchObject({ text: "Hi there.", interrupted: false });
  });

  it("reports a model that cannot connect, and closes everything on leave", async () => {
    const model = new FakeRealtime({ failConnect: new Error("bad key") });
    const edge = new FakeEdge({ outputSampleRateHz: RATE });
    const agent = new Agent({ edge, llm: model });
    agents.push(agent);
    const error = nextEvent(agent, "error");
    await agent.join(await agent.createCall("default", "rt2"));
    const [e, source] = await error;
    expect(e.message).toBe("bad key");
    expect(source).toBe("llm");
    const ok = await start();
    await ok.agent.close();
    expect(ok.session.closed).toBe(true);
  });
});

describe("heardPart", () => {
  it("cuts the transcript in proportion to the audio played, at a word", () => {
    expect(heardPart("one two three four", 500, 1000)).toBe("one two");
    expect(heardPart("one two", 0, 1000)).toBe("");
    expect(heardPart("one two", 1000, 1000)).toBe("one two");
  });
});
