// The examples of docs/testing.md, as they are written there (imports through the package names).
import { Agent, tool } from "callwright";
import {
  concat,
  createTestSession,
  FakeEdge,
  FakeLLM,
  FakeSTT,
  FakeTTS,
  nextEvent,
  silence,
  speechLike,
} from "callwright/testing";
import { expect, it } from "vitest";
import { z } from "zod";

const lookupOrder = tool({
  name: "lookup_order",
  description: "Finds an order by id",
  parameters: z.object({ orderId: z.string() }),
  execute: async ({ orderId }) => ({ orderId, status: "shipped" }),
});

it("looks the order up before answering", async () => {
  const llm = new FakeLLM({
    replies: [
      { toolCalls: [{ name: "lookup_order", arguments: { orderId: "A17" } }] },
      "Your order A17 has shipped.",
    ],
  });
  const session = await createTestSession({
    llm,
    tools: [lookupOrder],
    instructions: "You help with orders.",
  });

  const events = await session.run({ userInput: "Where is my order A17?" });

  expect(events).toEqual([
    {
      type: "tool_call",
      name: "lookup_order",
      arguments: { orderId: "A17" },
      result: '{"orderId":"A17","status":"shipped"}',
      isError: false,
    },
    { type: "assistant_message", text: "Your order A17 has shipped." },
  ]);
  // The model got the tool's result on its second request.
  expect(llm.requests[1]!.messages.at(-1)).toMatchObject({ role: "tool", name: "lookup_order" });
});

it("answers a spoken question", async () => {
  const edge = new FakeEdge({ outputSampleRateHz: 48000 });
  const agent = new Agent({
    edge,
    llm: new FakeLLM({ replies: ["It is sunny in Paris."] }),
    stt: new FakeSTT({ transcripts: ["what is the weather in paris"] }),
    tts: new FakeTTS({ msPerChar: 2 }),
  });
  await agent.join(await agent.createCall("default", "test"));
  const answered = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final);

  // A second of voice, then silence long enough to end the turn.
  edge.connection.feedAudio(
    "alice",
    concat(
      speechLike({ durationMs: 1000, sampleRateHz: 48000 }),
      silence({ durationMs: 700, sampleRateHz: 48000 }),
    ),
  );

  const [reply] = await answered;
  expect(reply.text).toBe("It is sunny in Paris.");
  expect(edge.connection.playedMs()).toBeGreaterThanOrEqual(42); // 21 chars × 2 ms
  expect(agent.history.at(0)).toMatchObject({ role: "user", content: "what is the weather in paris" });
  expect(agent.metrics.snapshot().turn_e2e_latency_ms__avg).not.toBeNull();
  await agent.close();
});
