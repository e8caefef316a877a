// elevenlabs.TTS inside callwright's voice loop (an Agent on the fake edge, a fake LLM), against the
// fake ElevenLabs: the reply is streamed in as the LLM writes it and played, and a barge-in
// closes its context at once and cuts the history where ElevenLabs' timings say the listener was.
import { Agent } from "callwright";
import { concat, FakeEdge, FakeLLM, FakeSTT, nextEvent, silence, speechLike } from "callwright/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeElevenLabsServer,
  startFakeElevenLabs,
  synthesizeChars,
} from "../../../test/fakes/elevenlabs-server.js";
import { TTS } from "./tts.js";

const RATE = 48000;
let server: FakeElevenLabsServer | undefined;
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await server?.close();
  server = undefined;
});

const utterance = (speechMs: number) =>
  concat(
    silence({ durationMs: 200, sampleRateHz: RATE }),
    speechLike({ durationMs: speechMs, sampleRateHz: RATE }),
    silence({ durationMs: 700, sampleRateHz: RATE }),
  );

async function start(llm: FakeLLM, transcripts: string[]) {
  server = await startFakeElevenLabs({ msPerChar: 30, msPerSpace: 20 });
  const tts = new TTS({ apiKey: server.apiKey, baseUrl: server.baseUrl }, {});
  const edge = new FakeEdge({ outputSampleRateHz: RATE });
  const agent = new Agent({ edge, llm, stt: new FakeSTT({ transcripts }), tts });
  agents.push(agent);
  await agent.join(await agent.createCall("default", "test-call"));
  return { agent, conn: edge.connection, fake: server };
}

const replyDone = (agent: Agent, timeoutMs = 8000) =>
  nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, { timeoutMs }).then(([e]) => e);

describe("elevenlabs.TTS in the voice loop", () => {
  it("speaks a reply streamed in as the LLM writes it, and records it whole", async () => {
    const reply = "Hello! It is sunny in Paris today. Enjoy the walk.";
    const { agent, conn, fake } = await start(new FakeLLM({ replies: [{ text: reply, chunkDelayMs: 20 }] }), [
      "weather",
    ]);
    const done = replyDone(agent);
    conn.feedAudio("alice", utterance(600));
    const final = await done;
    expect(final.text).toBe(reply);
    expect(agent.history.at(-1)).toEqual({ role: "assistant", content: reply });
    const context = [...fake.connections[0]!.contexts.values()][0]!;
    expect(context.generated).toBe(reply);
    const spokenMs =
      (synthesizeChars(reply, 24000, { msPerChar: 30, msPerSpace: 20 }).samples.length * 1000) / 24000;
    expect(conn.playedMs()).toBeGreaterThanOrEqual(spokenMs - 20);
    expect(agent.metrics.snapshot().tts_latency_ms__avg).not.toBeNull();
  });

  it("a barge-in closes the reply's context at once and cuts the history at the last word heard", async () => {
    const reply =
      "This is a rather long answer about the weather in Paris. It will take a few seconds to say all of it, sentence after sentence.";
    const { agent, conn, fake } = await start(new FakeLLM({ replies: [reply, "Sure."] }), [
      "weather",
      "wait",
    ]);
    conn.feedAudio("alice", utterance(600));
    await conn.waitForPlayed(1500);
    const interrupted = replyDone(agent);
    conn.feedAudio("alice", speechLike({ durationMs: 500, sampleRateHz: RATE }));
    const cut = await interrupted;
    // The words whose sound had ended when playback stopped (30 ms a letter, 20 ms a space).
    const heardMs = conn.playedMs();
    let expected = "";
    let atMs = 0;
    for (const word of reply.split(" ")) {
      const endMs = atMs + word.length * 30;
      if (endMs > heardMs) break;
      expected = expected === "" ? word : `${expected} ${word}`;
      atMs = endMs + 20;
    }
    expect(expected.split(" ").length).toBeGreaterThan(5);
    expect(cut.text).toBe(expected);
    expect(agent.history.find((m) => m.role === "assistant")).toEqual({
      role: "assistant",
      content: expected,
      interrupted: true,
    });
    const context = [...fake.connections[0]!.contexts.values()][0]!;
    expect(context.closeContextAtMs).toBeDefined();
  });
});
