// The agent's UI events become Stream custom events on the call (the 5 KB limit respected), and
// closing the connection leaves the call and releases its sockets and timers.
import type { AgentUiEvent } from "callwright";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { FakeStream } from "../testing/fake-stream.js";
import { fitCustomEvent } from "./connection.js";
import type { Edge } from "./edge.js";
import { fastEdge, joinAgent, until } from "./test-helpers.js";

let fake: FakeStream;
let edge: Edge;
beforeEach(async () => {
  fake = await FakeStream.start();
  edge = fastEdge(fake);
});
afterEach(async () => {
  await edge.close();
  await fake.close();
});

const transcript = (text: string, final: boolean): AgentUiEvent => ({
  type: "transcript",
  role: "agent",
  text,
  final,
  turnId: 1,
});

describe("UI events", () => {
  test("final transcripts and state go to the call as custom events, in order; interim ones do not", async () => {
    const agent = await joinAgent(edge, "events-1");
    agent.connection.sendEvent({ type: "agent_state", state: "thinking" });
    agent.connection.sendEvent(transcript("Hel", false));
    agent.connection.sendEvent(transcript("Hello there.", true));
    await until(() => fake.customEvents.length === 2, 3000, "two custom events");
    expect(fake.customEvents.map((e) => e.custom)).toEqual([
      { type: "agent_state", state: "thinking" },
      { type: "transcript", role: "agent", text: "Hello there.", final: true, turnId: 1 },
    ]);
    expect(fake.customEvents.every((e) => e.userId === "agent" && e.callId === "events-1")).toBe(true);
  });

  test("a transcript over 5 KB is cut to fit; the fake would refuse it otherwise", async () => {
    const long = "word ".repeat(3000);
    const fitted = fitCustomEvent(transcript(long, true))!;
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(5 * 1024);
    expect(fitted.truncated).toBe(true);
    expect(String(fitted.text).endsWith("…")).toBe(true);
    const agent = await joinAgent(edge, "events-2");
    agent.connection.sendEvent(transcript(long, true));
    await until(() => fake.customEvents.length === 1, 3000, "the cut transcript");
    expect(fake.customEvents[0]!.bytes).toBeLessThanOrEqual(5 * 1024);
    expect(fake.requests.some((r) => r.path.endsWith("/event") && r.status === 413)).toBe(false);
  });

  test("close leaves the call (the SFU sees the agent go) and releases sockets and timers", async () => {
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "TCPSocketWrap").length;
    const agent = await joinAgent(edge, "events-3");
    await until(
      () => fake.sfu.participants("default:events-3").includes("agent"),
      2000,
      "the agent at the SFU",
    );
    const during = handles();
    await agent.connection.close();
    await agent.connection.close();
    await until(
      () => fake.sfu.participants("default:events-3").length === 0,
      2000,
      "the agent gone from the SFU",
    );
    await until(() => handles() < during, 3000, "fewer handles after close");
    expect(agent.events).toEqual([]); // close() is not an end the agent is told about
    await edge.close();
    await expect(edge.createCall("default", "x")).rejects.toThrow(/closed/);
  });
});
