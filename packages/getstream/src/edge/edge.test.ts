// The Stream edge against FakeStream over loopback: real WebSocket, Twirp, WebRTC and Opus; a
// scripted person joins the same call through the same protocol and speaks a flite WAV.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { models } from "../proto/index.js";
import { FakeStream } from "../testing/fake-stream.js";
import { ScriptedPerson } from "../testing/person.js";
import type { Edge } from "./edge.js";
import { fastEdge, fliteSpeech, joinAgent, sendPaced, toneFrames, until } from "./test-helpers.js";

let fake: FakeStream;
let edge: Edge;
const people: ScriptedPerson[] = [];

beforeEach(async () => {
  fake = await FakeStream.start();
  edge = fastEdge(fake);
});

afterEach(async () => {
  for (const p of people.splice(0)) p.leave();
  await edge.close();
  await fake.close();
});

async function person(callId: string, userId = "ada", name = "Ada"): Promise<ScriptedPerson> {
  const p = await ScriptedPerson.join({
    baseUrl: fake.baseUrl,
    apiKey: fake.apiKey,
    apiSecret: fake.apiSecret,
    callType: "default",
    callId,
    userId,
    name,
  });
  people.push(p);
  return p;
}

describe("getstream.Edge against FakeStream", () => {
  test("the agent joins, hears the person's speech, answers, and sees the person leave", async () => {
    await edge.warmup();
    const agent = await joinAgent(edge, "call-1");
    expect(agent.connection.outputSampleRateHz).toBe(48000);
    expect(agent.connection.participants.size).toBe(0);
    expect(fake.users.get("agent")?.custom).toMatchObject({ is_agent: true });

    const ada = await person("call-1");
    await until(() => agent.events.includes("joined:Ada"), 5000, "the agent to see Ada join");
    expect([...agent.connection.participants.values()].map((p) => p.name)).toEqual(["Ada"]);

    await ada.publishing();
    const speech = fliteSpeech("Hello agent, can you hear me?");
    await ada.speak(speech);
    await until(() => agent.heardRms() > 0.02, 3000, "speech energy at the agent");
    const heard = agent.audio.reduce((n, a) => n + a.frame.samples.length, 0) / 16000;
    expect(heard).toBeGreaterThan((speech.length / 48000) * 0.8); // most of the speech, decoded at 16 kHz
    expect(agent.audio[0]!.frame.sampleRateHz).toBe(16000);
    expect(new Set(agent.audio.map((a) => a.participantId))).toEqual(
      new Set(agent.connection.participants.keys()),
    );

    // The agent answers: a tone, paced as the voice loop paces it.
    const before = performance.now();
    await sendPaced(agent.connection, toneFrames(600));
    await until(
      () => ada.heardRms({ userId: "agent", sinceMs: before }) > 0.05,
      3000,
      "the agent's voice at Ada",
    );

    ada.leave();
    await until(() => agent.events.includes("left:Ada:left"), 5000, "the agent to see Ada leave");
    expect(agent.connection.participants.size).toBe(0);
    // JSON and protobuf Twirp both exist; this client speaks protobuf.
    expect(
      fake.sfu.rpcs.filter((r) => r.method === "SetPublisher").every((r) => r.encoding === "protobuf"),
    ).toBe(true);
  });

  test("someone already in the call is a participant at once, and is heard (subscribed from call_state)", async () => {
    const ada = await person("call-2");
    await ada.publishing();
    const agent = await joinAgent(edge, "call-2");
    expect([...agent.connection.participants.values()].map((p) => p.name)).toEqual(["Ada"]);
    await ada.speak(fliteSpeech("I was here first."));
    await until(() => agent.heardRms() > 0.02, 3000, "speech from the person present before the agent");
    expect(agent.events).toEqual([]); // no join event for someone already there
  });

  test("Twirp in JSON works as in protobuf (Stream's JavaScript SDK sends JSON)", async () => {
    const jsonEdge = fastEdge(fake, { rpcEncoding: "json" });
    try {
      const agent = await joinAgent(jsonEdge, "call-json");
      const ada = await person("call-json");
      await ada.publishing();
      await ada.speak(fliteSpeech("Jason speaks."));
      await until(() => agent.heardRms() > 0.02, 3000, "speech over a JSON-negotiated session");
      expect(fake.sfu.rpcs.some((r) => r.method === "SetPublisher" && r.encoding === "json")).toBe(true);
      expect(fake.sfu.rpcs.some((r) => r.method === "SendAnswer" && r.encoding === "json")).toBe(true);
    } finally {
      await jsonEdge.close();
    }
  });

  test("call_ended ends the session: `closed` names it, nothing follows", async () => {
    const agent = await joinAgent(edge, "call-3");
    fake.endCall("default", "call-3");
    await until(() => agent.events.some((e) => e.startsWith("closed:")), 3000, "closed");
    expect(agent.events).toEqual(["closed:the call ended (ENDED)"]);
    agent.connection.sendAudio(toneFrames(20)[0]!); // ignored, no throw
  });

  test("a health-check timeout rejoins with a new session; the person stays, no leave/join", async () => {
    const quick = fastEdge(fake, { healthCheckIntervalMs: 50, healthCheckTimeoutMs: 300 });
    try {
      const agent = await joinAgent(quick, "call-4");
      const ada = await person("call-4");
      await until(() => agent.events.includes("joined:Ada"), 5000, "join");
      const first = (agent.connection as { session?: { sessionId: string } }).session!.sessionId;
      fake.sfu.setAnswerHealthChecks(false, "agent");
      await until(() => (agent.connection as unknown as { rejoins: number }).rejoins === 1, 5000, "a rejoin");
      const second = (agent.connection as { session?: { sessionId: string } }).session!.sessionId;
      expect(second).not.toBe(first);
      expect(fake.sfu.participants("default:call-4").sort()).toEqual(["ada", "agent"]);
      expect(agent.events).toEqual(["joined:Ada"]);
      const since = performance.now();
      await ada.publishing();
      await ada.speak(fliteSpeech("Still here."));
      await until(() => agent.heardRms(since) > 0.02, 3000, "speech after the rejoin");
    } finally {
      await quick.close();
    }
  });

  test("an SFU error asking for a rejoin rejoins; one saying disconnect ends the session with its reason", async () => {
    const agent = await joinAgent(edge, "call-5");
    const conn = agent.connection as unknown as { rejoins: number };
    fake.sfu.sendError(
      "agent",
      { code: models.ErrorCode.SFU_SHUTTING_DOWN, message: "fake: shutting down", shouldRetry: true },
      models.WebsocketReconnectStrategy.REJOIN,
    );
    await until(() => conn.rejoins === 1, 5000, "a rejoin");
    expect(agent.events).toEqual([]);

    fake.sfu.sendError(
      "agent",
      { code: models.ErrorCode.PERMISSION_DENIED, message: "fake: you were removed", shouldRetry: false },
      models.WebsocketReconnectStrategy.DISCONNECT,
    );
    await until(() => agent.events.length > 0, 3000, "closed");
    expect(agent.events[0]).toMatch(/^closed:.*fake: you were removed/);
  });

  test("a dropped socket rejoins; when rejoining keeps failing the session ends, after a bounded number of tries", async () => {
    const agent = await joinAgent(edge, "call-6");
    const conn = agent.connection as unknown as { rejoins: number };
    fake.sfu.dropSocket("agent");
    await until(() => conn.rejoins === 1, 5000, "a rejoin");

    fake.failNextJoins(10, 503);
    const joinsBefore = fake.requests.filter((r) => r.path.endsWith("/join")).length;
    fake.sfu.dropSocket("agent");
    await until(() => agent.events.length > 0, 5000, "closed");
    expect(agent.events[0]).toMatch(/^closed:lost the Stream call .* after 3 attempts/);
    // 3 rejoins, each a join call tried 3 times (2 retries of a 503) before giving up.
    expect(fake.requests.filter((r) => r.path.endsWith("/join")).length - joinsBefore).toBe(9);
  });
});
