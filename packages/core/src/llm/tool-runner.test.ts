import { systemClock } from "@callwright/provider-utils";
import type { ChatMessage } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { silentLogger } from "../log/index.js";
import { MetricsCollector } from "../metrics/collector.js";
import { FakeLLM } from "../testing/fake-llm.js";
import { tool } from "./tool.js";
import { runLlm } from "./tool-runner.js";

const add = tool({
  name: "add",
  description: "Adds two numbers",
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => a + b,
});
const broken = tool({
  name: "broken",
  description: "Always fails",
  parameters: z.object({}),
  execute: () => {
    throw new Error("database is down");
  },
});

function run(llm: FakeLLM, options: { maxToolSteps?: number; signal?: AbortSignal } = {}) {
  const metrics = new MetricsCollector();
  const messages: ChatMessage[] = [
    { role: "system", content: "You add." },
    { role: "user", content: "what is 2 + 3" },
  ];
  const result = runLlm({
    llm,
    messages,
    tools: [add, broken],
    maxToolSteps: options.maxToolSteps ?? 3,
    signal: options.signal ?? new AbortController().signal,
    logger: silentLogger,
    meter: { metrics, clock: systemClock },
  });
  return { result, metrics };
}

const toolMessages = (llm: FakeLLM, request: number) =>
  llm.requests[request]!.messages.filter(
    (m): m is Extract<ChatMessage, { role: "tool" }> => m.role === "tool",
  );

describe("runLlm (the tool loop)", () => {
  it("runs a tool with validated arguments and gives the model its result", async () => {
    const llm = new FakeLLM({
      replies: [{ toolCalls: [{ name: "add", arguments: { a: 2, b: 3 }, id: "c1" }] }, "It is 5."],
    });
    const { result, metrics } = run(llm);
    const r = await result;
    expect(r.messages.map((m) => m.role)).toEqual(["assistant", "tool", "assistant"]);
    expect(toolMessages(llm, 1)).toEqual([{ role: "tool", toolCallId: "c1", name: "add", content: "5" }]);
    expect(r.messages.at(-1)).toEqual({ role: "assistant", content: "It is 5." });
    expect(metrics.total("llm_tool_calls__total")).toBe(1);
    expect(metrics.average("llm_tool_latency_ms__avg")).not.toBeNull();
  });

  it("turns a throwing tool, invalid arguments and an unknown tool into error results", async () => {
    const llm = new FakeLLM({
      replies: [
        {
          toolCalls: [
            { name: "broken", arguments: {} },
            { name: "add", arguments: { a: "two", b: 3 } },
            { name: "add", arguments: "{not json" },
            { name: "subtract", arguments: {} },
          ],
        },
        "Sorry, I could not do that.",
      ],
    });
    const r = await run(llm).result;
    const results = toolMessages(llm, 1);
    expect(results.every((m) => m.isError === true)).toBe(true);
    expect(results[0]!.content).toMatch(/the tool 'broken' failed: database is down/);
    expect(results[1]!.content).toMatch(/invalid arguments for 'add'/);
    expect(results[1]!.content).toMatch(/a/);
    expect(results[2]!.content).toMatch(/not valid JSON/);
    expect(results[3]!.content).toMatch(/no tool named 'subtract' \(tools: add, broken\)/);
    expect(r.error).toBeUndefined();
    expect(r.messages.at(-1)).toEqual({ role: "assistant", content: "Sorry, I could not do that." });
  });

  it("stops offering tools after maxToolSteps rounds, so the model has to answer", async () => {
    const again = { toolCalls: [{ name: "add", arguments: { a: 1, b: 1 } }] };
    const llm = new FakeLLM({ replies: [again, again, "Giving up: 2."] });
    const r = await run(llm, { maxToolSteps: 2 }).result;
    expect(llm.requests.map((req) => req.tools?.length ?? 0)).toEqual([2, 2, 0]);
    expect(r.calls).toBe(3);
    expect(r.messages.at(-1)).toEqual({ role: "assistant", content: "Giving up: 2." });
  });

  it("reports a model failure without throwing", async () => {
    const llm = new FakeLLM({ replies: [{ text: "Half", error: new Error("stream reset"), throws: true }] });
    const r = await run(llm).result;
    expect(r.error?.message).toMatch(/stream reset/);
    expect(r.messages).toEqual([{ role: "assistant", content: "Half" }]);
  });

  it("stops when aborted, counting the call as cancelled", async () => {
    const llm = new FakeLLM({ replies: [{ text: "slow", firstTokenDelayMs: 5000 }] });
    const controller = new AbortController();
    const { result, metrics } = run(llm, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    const r = await result;
    expect(r.cancelled).toBe(true);
    expect(metrics.total("llm_cancelled__total")).toBe(1);
    expect(metrics.average("llm_latency_ms__avg")).toBeNull();
  });
});
