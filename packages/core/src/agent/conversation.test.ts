import type { AgentState, AgentUiEvent } from "@callwright/spec";
import { frameDurationMs } from "@callwright/spec";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { tool } from "../llm/tool.js";
import {
  concat,
  FakeEdge,
  FakeLLM,
  FakeSTT,
  FakeTTS,
  nextEvent,
  silence,
  speechLike,
} from "../testing/index.js";
import { defaultErrorReplyText } from "../voice/options.js";
import { Agent, type AgentOptions } from "./agent.js";

const RATE = 48000;

/** What a browser would send: a little room tone, `speechMs` of voice, then `silenceMs` of quiet. */
function utterance(speechMs: number, silenceMs = 700) {
  return concat(
    silence({ durationMs: 200, sampleRateHz: RATE }),
    speechLike({ durationMs: speechMs, sampleRateHz: RATE }),
    silence({ durationMs: silenceMs, sampleRateHz: RATE }),
  );
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function start(options: Omit<AgentOptions, "edge">) {
  const edge = new FakeEdge({ outputSampleRateHz: RATE });
  const agent = new Agent({ edge, ...options });
  agents.push(agent);
  const states: AgentState[] = [];
  agent.on("agent_state", (s) => states.push(s));
  await agent.join(await agent.createCall("default", "test-call"));
  return { agent, edge, conn: edge.connection, states };
}

/** Resolves when the agent's reply (the final agent transcript) is done. */
const replyDone = (agent: Agent, timeoutMs = 5000) =>
  nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, { timeoutMs }).then(([e]) => e);

/** Resolves when the agent is in `state` (at once if it already is). */
const inState = async (agent: Agent, state: AgentState) => {
  if (agent.state !== state) await nextEvent(agent, "agent_state", (s) => s === state);
};

const uiOfType = <T extends AgentUiEvent["type"]>(events: AgentUiEvent[], type: T) =>
  events.filter((e): e is Extract<AgentUiEvent, { type: T }> => e.type === type);

describe("a plain turn", () => {
  it("hears the user, answers with paced audio, and records real metrics", async () => {
    const reply = "Hello! It is sunny in Paris today.";
    const llm = new FakeLLM({ replies: [reply] });
    const stt = new FakeSTT({ transcripts: ["what is the weather in paris"], latencyMs: 40 });
    const tts = new FakeTTS({ msPerChar: 5 });
    const { agent, conn, states } = await start({ llm, stt, tts, instructions: "Be brief." });
    const turnMetrics = nextEvent(agent, "metrics");
    const done = replyDone(agent);

    conn.feedAudio("alice", utterance(1000));
    const agentFinal = await done;
    await inState(agent, "listening");

    // What the user said reached the LLM, with the instructions.
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]!.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "what is the weather in paris", participantId: "alice" },
    ]);
    // The answer was spoken: all of it, as 20 ms frames at the edge's rate, paced in real time.
    expect(tts.requests).toEqual([reply]);
    expect(agentFinal.text).toBe(reply);
    for (const f of conn.played) {
      expect(f.sampleRateHz).toBe(RATE);
      expect(frameDurationMs(f)).toBe(20);
    }
    const expectedMs = tts.durationMsFor(reply);
    expect(conn.playedMs()).toBeGreaterThanOrEqual(expectedMs);
    expect(conn.playedMs()).toBeLessThan(expectedMs + 40);
    const span = conn.playedAtMs.at(-1)! - conn.playedAtMs[0]!;
    expect(span).toBeGreaterThanOrEqual((conn.played.length - 1) * 20 - 2);
    // The turn went through every state, in order.
    expect(states).toEqual(["listening", "user_speaking", "thinking", "agent_speaking", "listening"]);
    // Transcripts carry the participant, and went to the page too.
    const userFinal = uiOfType(conn.uiEvents, "transcript").find((e) => e.role === "user" && e.final);
    expect(userFinal).toMatchObject({
      participantId: "alice",
      text: "what is the weather in paris",
      turnId: 1,
    });
    expect(agent.history).toEqual([
      { role: "user", content: "what is the weather in paris", participantId: "alice" },
      { role: "assistant", content: reply },
    ]);

    // Metrics: real, plausible values.
    const [breakdown] = await turnMetrics;
    const m = agent.metrics.snapshot();
    // STT latency counts from the last voiced frame: the VAD's 550 ms silence, then 40 ms.
    expect(m.stt_latency_ms__avg).toBeGreaterThan(550);
    expect(m.stt_latency_ms__avg).toBeLessThan(900);
    expect(m.turn_duration_ms__avg).toBeGreaterThan(900);
    expect(m.turn_duration_ms__avg).toBeLessThan(1100);
    expect(m.turn_trailing_silence_ms__avg).toBeGreaterThanOrEqual(m.stt_latency_ms__avg!);
    expect(m.turn_e2e_latency_ms__avg).toBeGreaterThanOrEqual(m.turn_trailing_silence_ms__avg!);
    expect(m.turn_e2e_latency_ms__p95).not.toBeNull();
    expect(m.llm_time_to_first_token_ms__avg).not.toBeNull();
    expect(m.llm_latency_ms__avg).not.toBeNull();
    expect(m.tts_latency_ms__avg).not.toBeNull();
    expect(m.llm_input_tokens__total).toBeGreaterThan(0);
    expect(m.llm_output_tokens__total).toBe(Math.ceil(reply.length / 4));
    expect(m.tts_characters__total).toBe(reply.length);
    expect(m.tts_audio_duration_ms__total).toBeCloseTo(expectedMs, 0);
    expect(m.stt_audio_duration_ms__total).toBeGreaterThan(1000);
    expect(m.turns__total).toBe(1);
    expect(m.llm_cancelled__total).toBe(0);
    expect(breakdown.turnId).toBe(1);
    expect(breakdown.e2eMs).toBeCloseTo(m.turn_e2e_latency_ms__avg!, 1);
    expect(breakdown.frameworkMs).not.toBeNull();
    expect(uiOfType(conn.uiEvents, "turn_metrics")).toHaveLength(1);
  });

  it("does not answer noise the STT cannot make out", async () => {
    const llm = new FakeLLM({ replies: ["should not be said"] });
    const { agent, conn } = await start({ llm, stt: new FakeSTT({ transcripts: [""] }), tts: new FakeTTS() });
    const speaking = nextEvent(agent, "user_state", (_p, s) => s === "silent");
    conn.feedAudio("alice", utterance(400));
    await speaking;
    await inState(agent, "listening");
    expect(llm.requests).toHaveLength(0);
    expect(conn.played).toHaveLength(0);
  });
});

describe("tools", () => {
  it("runs the tool the LLM calls and speaks the answer built on its result", async () => {
    const calls: string[] = [];
    const getWeather = tool({
      name: "get_weather",
      description: "Current weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city);
        return { city, tempC: 21 };
      },
    });
    const llm = new FakeLLM({
      replies: [
        { toolCalls: [{ name: "get_weather", arguments: { city: "Paris" }, id: "call_1" }] },
        "It is 21 degrees in Paris.",
      ],
    });
    const tts = new FakeTTS({ msPerChar: 2 });
    const { agent, conn } = await start({
      llm,
      stt: new FakeSTT({ transcripts: ["weather in paris please"] }),
      tts,
      tools: [getWeather],
    });
    const toolEvent = nextEvent(agent, "tool_call");
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(600));
    const [record] = await toolEvent;
    expect((await done).text).toBe("It is 21 degrees in Paris.");

    expect(calls).toEqual(["Paris"]);
    expect(record).toMatchObject({ name: "get_weather", arguments: { city: "Paris" }, isError: false });
    expect(llm.requests[0]!.tools?.map((t) => t.name)).toEqual(["get_weather"]);
    expect(llm.requests[1]!.messages.at(-1)).toEqual({
      role: "tool",
      toolCallId: "call_1",
      name: "get_weather",
      content: '{"city":"Paris","tempC":21}',
    });
    expect(tts.requests).toEqual(["It is 21 degrees in Paris."]);
    expect(agent.history.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    const m = agent.metrics.snapshot();
    expect(m.llm_tool_calls__total).toBe(1);
    expect(m.llm_tool_latency_ms__avg).not.toBeNull();
  });
});

describe("barge-in", () => {
  const longReply =
    "This is a rather long answer about the weather in Paris. It will be sunny all week with a light breeze from the west.";

  it("stops the audio within one frame and cuts the history where the user stopped hearing", async () => {
    const llm = new FakeLLM({ replies: [longReply, "Sure, go ahead."] });
    const stt = new FakeSTT({ transcripts: ["what is the weather", "wait a second"] });
    const tts = new FakeTTS({ msPerChar: 10 });
    const { agent, conn } = await start({ llm, stt, tts });
    conn.feedAudio("alice", utterance(600));
    await conn.waitForPlayed(700);
    const interrupted = replyDone(agent);

    // 500 ms of speech over the agent: it interrupts once 300 ms of it was heard.
    const speech = speechLike({ durationMs: 500, sampleRateHz: RATE });
    const before = conn.played.length;
    conn.feedAudio("alice", speech);
    // Cleared while the audio that crossed 300 ms was being handled: no frame went out since.
    expect(conn.clears).toBe(1);
    expect(conn.played.length).toBe(before);
    const cut = await interrupted;
    const playedBefore = conn.playedAfter(0);
    // Nothing more goes out after the clear (the pacer's next slot is ≤ 20 ms away).
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(conn.playedAfter(conn.clearedAtMs[0]!)).toBe(0);
    expect(conn.played.length).toBe(playedBefore);

    // The history holds what was heard: the first sentence, and part of the second.
    const heardMs = conn.playedMs();
    expect(cut.text.length).toBeLessThan(longReply.length);
    expect(longReply.startsWith(cut.text)).toBe(true);
    expect(cut.text.startsWith("This is a rather long answer about the weather in Paris. It will")).toBe(
      true,
    );
    expect(Math.abs(cut.text.length - heardMs / 10)).toBeLessThan(12);
    expect(agent.history.at(-1)).toEqual({ role: "assistant", content: cut.text, interrupted: true });
    // The page is told the answer was cut, so it can show where.
    expect(cut.interrupted).toBe(true);
    expect(agent.state).toBe("user_speaking");

    // The user finishes; the LLM sees the cut reply, then the new words.
    const next = replyDone(agent);
    conn.feedAudio("alice", silence({ durationMs: 700, sampleRateHz: RATE }));
    const finished = await next;
    expect(finished.text).toBe("Sure, go ahead.");
    expect(finished.interrupted).toBeUndefined();
    expect(llm.requests[1]!.messages.slice(-2)).toEqual([
      { role: "assistant", content: cut.text, interrupted: true },
      { role: "user", content: "wait a second", participantId: "alice" },
    ]);
    expect(agent.metrics.snapshot().interruptions__total).toBe(1);
  });

  it("ignores speech shorter than minInterruptionMs (a cough, an mm-hm)", async () => {
    const llm = new FakeLLM({ replies: [longReply] });
    const stt = new FakeSTT({ transcripts: ["what is the weather", "mm-hm"] });
    const tts = new FakeTTS({ msPerChar: 5 });
    const { agent, conn } = await start({ llm, stt, tts });
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(600));
    await conn.waitForPlayed(200);
    conn.feedAudio(
      "alice",
      concat(
        speechLike({ durationMs: 150, sampleRateHz: RATE }),
        silence({ durationMs: 700, sampleRateHz: RATE }),
      ),
    );
    const final = await done;
    expect(final.text).toBe(longReply);
    expect(conn.clears).toBe(0);
    expect(llm.requests).toHaveLength(1);
    expect(agent.metrics.snapshot().interruptions__total).toBe(0);
  });

  it("speech that starts over the agent's last words and goes on after them is a turn", async () => {
    const llm = new FakeLLM({ replies: ["Okay then.", "You said more."] });
    const stt = new FakeSTT({ transcripts: ["first", "and another thing"] });
    const { agent, conn } = await start({ llm, stt, tts: new FakeTTS({ msPerChar: 10 }) });
    const speaking = nextEvent(agent, "agent_state", (s) => s === "agent_speaking");
    conn.feedAudio("alice", utterance(500));
    await speaking;
    // The user starts talking over the agent's short reply (100 ms): too short to interrupt...
    const userTurn = nextEvent(agent, "agent_state", (s) => s === "user_speaking");
    conn.feedAudio("alice", speechLike({ durationMs: 100, sampleRateHz: RATE }));
    // ...the reply plays out, and the user, still speaking, has the floor.
    await userTurn;
    const done = nextEvent(
      agent,
      "transcript",
      (e) => e.role === "agent" && e.final && e.text === "You said more.",
    );
    conn.feedAudio(
      "alice",
      concat(
        speechLike({ durationMs: 500, sampleRateHz: RATE }),
        silence({ durationMs: 700, sampleRateHz: RATE }),
      ),
    );
    await done;
    expect(conn.clears).toBe(0);
    expect(llm.requests[1]!.messages.at(-1)).toMatchObject({ role: "user", content: "and another thing" });
  });

  it("with interruptions off, finishes speaking and answers the user afterwards", async () => {
    const llm = new FakeLLM({ replies: [longReply, "Yes?"] });
    const stt = new FakeSTT({ transcripts: ["what is the weather", "hello"] });
    const { agent, conn } = await start({
      llm,
      stt,
      tts: new FakeTTS({ msPerChar: 3 }),
      interruption: { enabled: false },
    });
    const first = replyDone(agent);
    conn.feedAudio("alice", utterance(600));
    await conn.waitForPlayed(100);
    const second = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final && e.text === "Yes?");
    conn.feedAudio("alice", utterance(600));
    expect((await first).text).toBe(longReply);
    await second;
    expect(conn.clears).toBe(0);
  });
});

describe("the user speaks again before the agent answers", () => {
  it("drops the half-answer and answers the whole question", async () => {
    const llm = new FakeLLM({
      replies: [{ text: "Sure.", firstTokenDelayMs: 3000 }, "Booked a table for two."],
    });
    const stt = new FakeSTT({ transcripts: ["book a table", "for two people"] });
    const tts = new FakeTTS({ msPerChar: 2 });
    const { agent, conn, states } = await start({ llm, stt, tts });
    const thinking = nextEvent(agent, "agent_state", (s) => s === "thinking");
    conn.feedAudio("alice", utterance(500));
    await thinking;
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(500));
    expect((await done).text).toBe("Booked a table for two.");

    expect(llm.aborted).toBe(1);
    expect(tts.requests).toEqual(["Booked a table for two."]);
    expect(llm.requests[1]!.messages.at(-1)).toEqual({
      role: "user",
      content: "book a table for two people",
      participantId: "alice",
    });
    expect(agent.history.filter((m) => m.role === "user")).toHaveLength(1);
    expect(states.slice(0, 5)).toEqual([
      "listening",
      "user_speaking",
      "thinking",
      "user_speaking",
      "thinking",
    ]);
    const m = agent.metrics.snapshot();
    expect(m.llm_cancelled__total).toBe(1);
    expect(m.turns__total).toBe(1);
  });
});

describe("provider failures mid-turn", () => {
  it("an LLM failure: the agent says so, the page is told, and the next turn works", async () => {
    const llm = new FakeLLM({
      replies: [{ text: "Let me see.", error: new Error("upstream returned 503") }, "Now it works."],
    });
    const stt = new FakeSTT({ transcripts: ["first question", "second question"] });
    const tts = new FakeTTS({ msPerChar: 2 });
    const { agent, conn } = await start({ llm, stt, tts });
    const error = nextEvent(agent, "error");
    const first = replyDone(agent);
    conn.feedAudio("alice", utterance(500));
    const [err, source] = await error;
    expect(source).toBe("llm");
    expect(err.message).toContain("503");
    expect((await first).text).toBe(`Let me see. ${defaultErrorReplyText}`);
    expect(uiOfType(conn.uiEvents, "error")).toEqual([
      { type: "error", source: "llm", message: err.message },
    ]);

    const second = replyDone(agent);
    conn.feedAudio("alice", utterance(500));
    expect((await second).text).toBe("Now it works.");
    expect(agent.closed).toBe(false);
  });

  it("a TTS failure: reported, and the next turn is spoken", async () => {
    const llm = new FakeLLM({ replies: ["This will explode.", "This works."] });
    const tts = new FakeTTS({
      msPerChar: 2,
      failOn: (text) => (text.includes("explode") ? new Error("TTS socket closed") : undefined),
    });
    const { agent, conn } = await start({ llm, stt: new FakeSTT({ transcripts: ["one", "two"] }), tts });
    const error = nextEvent(agent, "error");
    conn.feedAudio("alice", utterance(500));
    const [, source] = await error;
    expect(source).toBe("tts");
    await inState(agent, "listening");
    const second = replyDone(agent);
    conn.feedAudio("alice", utterance(500));
    expect((await second).text).toBe("This works.");
  });

  it("a dropped STT stream is re-opened and hears the unanswered speech again", async () => {
    const llm = new FakeLLM({ replies: ["Got it."] });
    const stt = new FakeSTT({ transcripts: [{ drop: true }, "hello again"] });
    const { agent, conn } = await start({ llm, stt, tts: new FakeTTS({ msPerChar: 2 }) });
    const error = nextEvent(agent, "error");
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(500));
    const [err, source] = await error;
    expect(source).toBe("stt");
    expect(err.message).toMatch(/re-opening/);
    expect((await done).text).toBe("Got it.");
    expect(stt.streams).toHaveLength(2);
    expect(stt.streams[0]!.closed).toBe(true);
    expect(llm.requests[0]!.messages.at(-1)).toMatchObject({ role: "user", content: "hello again" });
  });
});

describe("several participants", () => {
  it("the first to speak owns the turn; the other is answered next, by name", async () => {
    const llm = new FakeLLM({ respond: (req) => `Answering ${String(req.messages.at(-1)?.content)}.` });
    const stt = new FakeSTT({ transcribe: ({ participantId }) => `${participantId} question` });
    const { agent, conn } = await start({ llm, stt, tts: new FakeTTS({ msPerChar: 1 }) });
    const answers: string[] = [];
    agent.on("transcript", (e) => {
      if (e.role === "agent" && e.final) answers.push(e.text);
    });
    const second = nextEvent(
      agent,
      "transcript",
      (e) => e.role === "agent" && e.final && e.text.includes("bob"),
    );
    // Alice starts; Bob talks over her; Alice finishes last.
    conn.feedAudio(
      "alice",
      concat(
        silence({ durationMs: 100, sampleRateHz: RATE }),
        speechLike({ durationMs: 400, sampleRateHz: RATE }),
      ),
    );
    conn.feedAudio("bob", utterance(300));
    conn.feedAudio("alice", silence({ durationMs: 700, sampleRateHz: RATE }));
    await second;
    expect(answers).toEqual(["Answering alice question.", "Answering bob question."]);
    expect(llm.requests[0]!.messages.at(-1)).toMatchObject({
      participantId: "alice",
      content: "alice question",
    });
    expect(llm.requests[1]!.messages.at(-1)).toMatchObject({ participantId: "bob", content: "bob question" });
    const userFinals = uiOfType(conn.uiEvents, "transcript").filter((e) => e.role === "user" && e.final);
    expect(new Set(userFinals.map((e) => e.participantId))).toEqual(new Set(["alice", "bob"]));
  });
});

describe("say and simpleResponse", () => {
  it("say() speaks text as the agent and records it", async () => {
    const tts = new FakeTTS({ msPerChar: 3 });
    const { agent, conn } = await start({ tts });
    const outcome = await agent.say("Welcome to the call.");
    expect(outcome).toMatchObject({ text: "Welcome to the call.", interrupted: false });
    expect(conn.playedMs()).toBeGreaterThanOrEqual(tts.durationMsFor("Welcome to the call."));
    expect(agent.history).toEqual([{ role: "assistant", content: "Welcome to the call." }]);
  });

  it("simpleResponse() answers text as if the user said it", async () => {
    const llm = new FakeLLM({ replies: ["Hi there, how can I help?"] });
    const { agent } = await start({ llm, tts: new FakeTTS({ msPerChar: 1 }) });
    const outcome = await agent.simpleResponse("hello");
    expect(outcome.text).toBe("Hi there, how can I help?");
    expect(llm.requests[0]!.messages.at(-1)).toEqual({ role: "user", content: "hello" });
  });

  it("say() outside a call explains what to do", async () => {
    const agent = new Agent({ edge: new FakeEdge() });
    agents.push(agent);
    expect(() => agent.say("hi")).toThrow(/join\(call\) first/);
  });
});

describe("a TTS that takes text as it is written (streamText)", () => {
  const longReply =
    "This is a rather long answer about the weather in Paris. It will take a few seconds to say all of it, sentence after sentence.";

  it("streams the LLM's words into one synthesis per reply and plays it", async () => {
    const reply = "Hello! It is **sunny** in Paris today. Enjoy it.";
    // The LLM writes slowly, so text must reach the TTS before the LLM is done.
    const llm = new FakeLLM({ replies: [{ text: reply, chunkDelayMs: 30 }] });
    const tts = new FakeTTS({ msPerChar: 5, streaming: true });
    const { agent, conn } = await start({ llm, stt: new FakeSTT({ transcripts: ["weather"] }), tts });
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(600));
    await conn.waitForPlayed(20);
    // Audio is already playing while the LLM is still writing: one stream, not ended yet.
    expect(tts.streams).toHaveLength(1);
    expect(tts.streams[0]!.ended).toBe(false);
    expect(tts.streams[0]!.text.length).toBeLessThan(reply.length);
    const final = await done;
    expect(final.text).toBe(reply);
    // What the TTS got is the speakable text, whole words, each piece ending in a space.
    expect(tts.streams[0]).toEqual({ text: "Hello! It is sunny in Paris today. Enjoy it. ", ended: true });
    for (const piece of tts.requests) expect(piece.endsWith(" ")).toBe(true);
    expect(agent.history.at(-1)).toEqual({ role: "assistant", content: reply });
    expect(conn.playedMs()).toBeGreaterThanOrEqual(tts.durationMsFor(tts.streams[0]!.text) - 20);
    const m = agent.metrics.snapshot();
    expect(m.tts_latency_ms__avg).not.toBeNull();
    expect(m.tts_characters__total).toBe(tts.streams[0]!.text.length);
  });

  it("cuts the history at the last word the listener heard, from the TTS's timings", async () => {
    const llm = new FakeLLM({ replies: [longReply, "Sure."] });
    // Synthesis in real time (a 40 ms chunk every 40 ms), so it is still going at the barge-in.
    const tts = new FakeTTS({ msPerChar: 10, streaming: true, timings: "chars", chunkDelayMs: 40 });
    const { agent, conn } = await start({ llm, stt: new FakeSTT({ transcripts: ["weather", "wait"] }), tts });
    conn.feedAudio("alice", utterance(600));
    await conn.waitForPlayed(500);
    const interrupted = replyDone(agent);
    conn.feedAudio("alice", speechLike({ durationMs: 500, sampleRateHz: RATE }));
    expect(conn.clears).toBe(1);
    const cut = await interrupted;
    // The words whose speech had ended when the audio stopped, as the timings say: at 10 ms a
    // character, each word ends (chars so far × 10) ms into the stream.
    const heardMs = conn.playedMs();
    const words = longReply.split(" ");
    let expected = "";
    let spokenChars = 0;
    for (const word of words) {
      const end = (spokenChars + word.length) * 10;
      if (end > heardMs) break;
      expected = expected === "" ? word : `${expected} ${word}`;
      spokenChars += word.length + 1;
    }
    expect(cut.text).toBe(expected);
    expect(agent.history.at(-1)).toEqual({ role: "assistant", content: expected, interrupted: true });
    expect(tts.aborted).toBe(1); // the synthesis was stopped, not left running
  });

  it("estimates the cut from the audio played when the TTS sends no timings", async () => {
    const llm = new FakeLLM({ replies: [longReply, "Sure."] });
    const tts = new FakeTTS({ msPerChar: 10, streaming: true, timings: "none" });
    const { agent, conn } = await start({ llm, stt: new FakeSTT({ transcripts: ["weather", "wait"] }), tts });
    conn.feedAudio("alice", utterance(600));
    await conn.waitForPlayed(700);
    const interrupted = replyDone(agent);
    conn.feedAudio("alice", speechLike({ durationMs: 500, sampleRateHz: RATE }));
    const cut = await interrupted;
    expect(longReply.startsWith(cut.text)).toBe(true);
    // Within a few words of the share of the audio that was played.
    const heardChars = conn.playedMs() / 10;
    expect(Math.abs(cut.text.length - heardChars)).toBeLessThan(25);
  });

  it("keeps each LLM step's words apart around a tool call", async () => {
    const clockTool = tool({
      name: "get_time",
      description: "The time",
      parameters: z.object({}),
      execute: async () => "10:05",
    });
    const llm = new FakeLLM({
      replies: [
        { text: "Let me check the clock.", toolCalls: [{ name: "get_time", id: "c1" }] },
        "It is five past ten.",
      ],
    });
    const tts = new FakeTTS({ msPerChar: 3, streaming: true });
    const { agent, conn } = await start({
      llm,
      stt: new FakeSTT({ transcripts: ["what time is it"] }),
      tts,
      tools: [clockTool],
    });
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(600));
    expect((await done).text).toBe("Let me check the clock. It is five past ten.");
    expect(tts.streams).toHaveLength(1);
    expect(agent.history.map((m) => [m.role, m.content])).toEqual([
      ["user", "what time is it"],
      ["assistant", "Let me check the clock."],
      ["tool", "10:05"],
      ["assistant", "It is five past ten."],
    ]);
  });

  it("reports a synthesis that fails mid-reply and lets the rest of the loop go on", async () => {
    const llm = new FakeLLM({ replies: [longReply, "Fine."] });
    const tts = new FakeTTS({
      msPerChar: 5,
      streaming: true,
      failOn: (text) => (text.includes("seconds") ? new Error("TTS socket closed") : undefined),
    });
    const { agent, conn } = await start({ llm, stt: new FakeSTT({ transcripts: ["weather", "ok"] }), tts });
    const failed = nextEvent(agent, "error");
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(600));
    const [error, source] = await failed;
    expect(source).toBe("tts");
    expect(error.message).toMatch(/TTS socket closed/);
    const final = await done;
    expect(longReply.startsWith(final.text)).toBe(true);
    await inState(agent, "listening");
    // The next turn gets a new synthesis.
    const next = replyDone(agent);
    conn.feedAudio("alice", utterance(400));
    expect((await next).text).toBe("Fine.");
    expect(tts.streams).toHaveLength(2);
  });
});
