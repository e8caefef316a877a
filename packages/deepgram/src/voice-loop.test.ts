// deepgram.STT inside callwright's voice loop (an Agent on the fake edge, a fake LLM and TTS),
// against the fake Deepgram: what the user says reaches the LLM, and a socket dropped mid-speech
// is re-opened by the loop, which replays the speech Deepgram had not answered.
import { Agent } from "callwright";
import { concat, FakeEdge, FakeLLM, FakeTTS, nextEvent, silence, speechLike } from "callwright/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeDeepgramServer, startFakeDeepgram } from "../../../test/fakes/deepgram-server.js";
import { STT } from "./stt.js";

const RATE = 48000;
let server: FakeDeepgramServer | undefined;
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await server?.close();
  server = undefined;
});

async function start() {
  server = await startFakeDeepgram();
  const stt = new STT({ apiKey: server.apiKey, baseUrl: server.baseUrl }, {});
  const edge = new FakeEdge({ outputSampleRateHz: RATE });
  const llm = new FakeLLM({ replies: ["It is sunny.", "Sure."] });
  const agent = new Agent({ edge, llm, stt, tts: new FakeTTS({ msPerChar: 5 }) });
  agents.push(agent);
  await agent.join(await agent.createCall("default", "test-call"));
  return { agent, conn: edge.connection, llm, fake: server };
}

const speech = (ms: number) => speechLike({ durationMs: ms, sampleRateHz: RATE });
const quiet = (ms: number) => silence({ durationMs: ms, sampleRateHz: RATE });

describe("deepgram.STT in the voice loop", () => {
  it("what the user says reaches the LLM, finalized when the loop hears the speech end", async () => {
    const { agent, conn, llm, fake } = await start();
    fake.say("What is the weather in Paris?");
    const heard = nextEvent(agent, "transcript", (e) => e.role === "user" && e.final, { timeoutMs: 8000 });
    conn.feedAudio("alice", concat(quiet(200), speech(1200), quiet(800)));
    const [event] = await heard;
    expect(event.text).toBe("What is the weather in Paris?");
    await nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, { timeoutMs: 8000 });
    expect(llm.requests[0]!.messages.at(-1)).toMatchObject({
      role: "user",
      content: "What is the weather in Paris?",
    });
    // The loop sent the speech (with its padding) and asked for the final with Finalize.
    const session = fake.sessions[0]!;
    expect(session.controls).toContain("Finalize");
    expect(session.audioMs).toBeGreaterThan(1200);
  });

  it("a socket dropped mid-speech is re-opened and the speech heard again", async () => {
    const { agent, conn, llm, fake } = await start();
    fake.say("Book a table for two.");
    const heard = nextEvent(agent, "transcript", (e) => e.role === "user" && e.final, { timeoutMs: 8000 });
    conn.feedAudio("alice", concat(quiet(200), speech(600)));
    const first = await fake.waitForSessions(1);
    while (first.audioMs < 400) await new Promise((r) => setTimeout(r, 10));
    first.socket.drop();
    conn.feedAudio("alice", concat(speech(600), quiet(800)));
    const [event] = await heard;
    expect(event.text).toBe("Book a table for two.");
    const second = await fake.waitForSessions(2);
    expect(second.audioMs).toBeGreaterThan(1000); // the unanswered speech, replayed
    await nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, { timeoutMs: 8000 });
    expect(llm.requests[0]!.messages.at(-1)).toMatchObject({ content: "Book a table for two." });
  });
});
