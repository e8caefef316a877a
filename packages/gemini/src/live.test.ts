// Runs against Google's real Gemini API only when GOOGLE_API_KEY or GEMINI_API_KEY is set
// (GEMINI_BASE_URL is honoured too, so the same test checks a proxy).
import type { LlmPart } from "callwright";
import { describe, expect, it } from "vitest";
import { LLM } from "./llm/llm.js";

const key = (process.env.GOOGLE_API_KEY ?? process.env.GEMINI_API_KEY)?.trim();
if (!key) {
  console.log(
    "skip: @callwright/gemini live tests need GOOGLE_API_KEY or GEMINI_API_KEY (they call the real Gemini API)",
  );
}

async function collect(llm: LLM, request: Parameters<LLM["stream"]>[0]): Promise<LlmPart[]> {
  const parts: LlmPart[] = [];
  for await (const part of llm.stream(request, { signal: AbortSignal.timeout(30_000) })) parts.push(part);
  return parts;
}

describe.skipIf(!key)("gemini.LLM against the real API", () => {
  it("warms up, then streams a short reply with the usage Gemini reports", { timeout: 40_000 }, async () => {
    const llm = new LLM({ thinkingBudget: 0 });
    await llm.warmup();
    const parts = await collect(llm, {
      messages: [
        { role: "system", content: "You answer with one word." },
        { role: "user", content: "Reply with exactly the word: pong" },
      ],
    });
    expect(parts.find((p) => p.type === "error")).toBeUndefined();
    const text = parts.map((p) => (p.type === "text_delta" ? p.text : "")).join("");
    expect(text.toLowerCase()).toContain("pong");
    const usage = parts.find((p) => p.type === "usage");
    expect(usage?.type === "usage" && usage.inputTokens > 0 && usage.estimated !== true).toBe(true);
    expect(parts.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  it("calls a tool, then answers from its result", { timeout: 60_000 }, async () => {
    const llm = new LLM({ thinkingBudget: 0 });
    const tools = [
      {
        name: "get_weather",
        description: "Current weather in a city",
        parameters: {
          type: "object",
          properties: {
            city: { type: "string" },
            unit: { type: ["string", "null"], enum: ["c", "f", null] },
          },
          required: ["city"],
          additionalProperties: false,
        },
      },
    ];
    const ask = { role: "user" as const, content: "What's the weather in Paris? Use the tool." };
    const first = await collect(llm, { messages: [ask], tools });
    const call = first.find((p) => p.type === "tool_call");
    if (call?.type !== "tool_call") throw new Error(`no tool call: ${JSON.stringify(first)}`);
    expect(JSON.parse(call.arguments).city).toMatch(/paris/i);
    const second = await collect(llm, {
      messages: [
        ask,
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: call.id, name: call.name, arguments: call.arguments }],
        },
        { role: "tool", toolCallId: call.id, name: call.name, content: '{"tempC": 21, "sky": "clear"}' },
      ],
      tools,
    });
    const text = second.map((p) => (p.type === "text_delta" ? p.text : "")).join("");
    expect(text).toMatch(/21/);
  });
});
