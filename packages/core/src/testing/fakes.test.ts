import type { SttPart } from "@callwright/spec";
import { audioFrame, frameDurationMs } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { tool } from "../llm/tool.js";
import { FakeLLM } from "./fake-llm.js";
import { FakeSTT } from "./fake-stt.js";
import { FakeTTS } from "./fake-tts.js";
import { createTestSession } from "./test-session.js";

const frame = (ms: number) => audioFrame(new Int16Array((16000 * ms) / 1000), 16000);

async function collect(stream: AsyncIterable<SttPart>): Promise<SttPart[]> {
  const out: SttPart[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

describe("FakeSTT", () => {
  it("answers each flush with a segment-end final covering the audio, interims while it listens", async () => {
    const stt = new FakeSTT({ transcripts: ["hello there world", "second"], interimEveryMs: 100 });
    const stream = stt.stream({ signal: new AbortController().signal });
    const parts = collect(stream);
    for (let i = 0; i < 15; i++) stream.push(frame(20));
    stream.flush();
    stream.push(frame(20));
    stream.flush();
    stream.flush(); // nothing pushed since: an empty final
    stream.end();
    expect(await parts).toEqual([
      { type: "interim", text: "hello" },
      { type: "interim", text: "hello there" },
      { type: "interim", text: "hello there" },
      { type: "final", text: "hello there world", segmentEnd: true },
      { type: "final", text: "second", segmentEnd: true },
      { type: "final", text: "", segmentEnd: true },
    ]);
    expect(stt.pushedMs).toBe(320);
  });

  it("refuses audio at the wrong rate, as a real model would", () => {
    const stream = new FakeSTT().stream({ signal: new AbortController().signal });
    expect(() => stream.push(audioFrame(new Int16Array(960), 48000))).toThrow(/16000 Hz/);
  });

  it("refuses audio after end(), as misuse, but not after an abort", () => {
    const stt = new FakeSTT();
    const ended = stt.stream({ signal: new AbortController().signal });
    ended.end();
    expect(() => ended.push(audioFrame(new Int16Array(160), 16000))).toThrow(/push\(\) after end\(\)/);
    const controller = new AbortController();
    const aborted = stt.stream({ signal: controller.signal });
    controller.abort();
    expect(() => aborted.push(audioFrame(new Int16Array(160), 16000))).not.toThrow();
  });

  it("ends at once on abort, leaving no timer", async () => {
    const stt = new FakeSTT({ transcripts: ["late"], latencyMs: 10_000 });
    const controller = new AbortController();
    const stream = stt.stream({ signal: controller.signal });
    const parts = collect(stream);
    stream.push(frame(20));
    stream.flush();
    controller.abort();
    expect(await parts).toEqual([]);
    expect(stt.openStreams).toBe(0);
  });
});

describe("FakeTTS", () => {
  it("makes audio proportional to the text", async () => {
    const tts = new FakeTTS({ msPerChar: 10, outputSampleRateHz: 16000 });
    let ms = 0;
    for await (const f of tts.synthesize("Hello there.", { signal: new AbortController().signal })) {
      ms += frameDurationMs(f);
    }
    expect(ms).toBe(120);
    expect(tts.requests).toEqual(["Hello there."]);
  });
});

describe("createTestSession (text only)", () => {
  it("runs the agent's LLM loop from text and returns what happened", async () => {
    const lookup = tool({
      name: "lookup_order",
      description: "Finds an order",
      parameters: z.object({ orderId: z.string() }),
      execute: async ({ orderId }) => ({ orderId, status: "shipped" }),
    });
    const llm = new FakeLLM({
      replies: [
        { text: "Let me check.", toolCalls: [{ name: "lookup_order", arguments: { orderId: "A17" } }] },
        "Your order A17 has shipped.",
        "You're welcome!",
      ],
    });
    const session = await createTestSession({ llm, tools: [lookup], instructions: "You help with orders." });
    const events = await session.run({ userInput: "Where is order A17?" });
    expect(events).toEqual([
      { type: "assistant_message", text: "Let me check." },
      {
        type: "tool_call",
        name: "lookup_order",
        arguments: { orderId: "A17" },
        result: '{"orderId":"A17","status":"shipped"}',
        isError: false,
      },
      { type: "assistant_message", text: "Your order A17 has shipped." },
    ]);
    await session.run({ userInput: "thanks" });
    expect(llm.requests[2]!.messages[0]).toEqual({ role: "system", content: "You help with orders." });
    expect(session.messages.map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "tool",
      "assistant",
      "user",
      "assistant",
    ]);
    expect(session.metrics.total("llm_tool_calls__total")).toBe(1);
  });

  it("reports a model error as an event", async () => {
    const session = await createTestSession({
      llm: new FakeLLM({ replies: [{ error: new Error("quota exceeded") }] }),
    });
    const events = await session.run({ userInput: "hi" });
    expect(events).toEqual([
      { type: "error", error: expect.objectContaining({ message: "quota exceeded" }) },
    ]);
  });
});
