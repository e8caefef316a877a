// Runs against the real API only when OPENAI_API_KEY is set (OPENAI_BASE_URL and OPENAI_MODEL
// are honoured too, so the same test checks an Ollama or llama.cpp server).
import type { LlmPart } from "callwright";
import { describe, expect, it } from "vitest";
import { LLM } from "./llm.js";

const key = process.env.OPENAI_API_KEY?.trim();
if (!key) {
  console.log("skip: @callwright/openai live tests need OPENAI_API_KEY (they call the real OpenAI API)");
}

async function collect(llm: LLM, request: Parameters<LLM["stream"]>[0]): Promise<LlmPart[]> {
  const parts: LlmPart[] = [];
  for await (const part of llm.stream(request, { signal: AbortSignal.timeout(30_000) })) parts.push(part);
  return parts;
}

describe.skipIf(!key)("openai.LLM against the real API", () => {
  it("streams a short reply, with usage the server reports", { timeout: 40_000 }, async () => {
    const parts = await collect(new LLM(), {
      messages: [{ role: "user", content: "Reply with exactly the word: pong" }],
      maxOutputTokens: 20,
    });
    expect(parts.find((p) => p.type === "error")).toBeUndefined();
    const text = parts.map((p) => (p.type === "text_delta" ? p.text : "")).join("");
    expect(text.toLowerCase()).toContain("pong");
    const usage = parts.find((p) => p.type === "usage");
    expect(usage).toMatchObject({ type: "usage" });
    expect(usage?.type === "usage" && usage.inputTokens > 0 && usage.estimated !== true).toBe(true);
    expect(parts.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  it("asks for a tool with complete JSON arguments", { timeout: 40_000 }, async () => {
    const parts = await collect(new LLM(), {
      messages: [{ role: "user", content: "What's the weather in Paris? Use the tool." }],
      tools: [
        {
          name: "get_weather",
          description: "Current weather in a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ],
    });
    const call = parts.find((p) => p.type === "tool_call");
    expect(call?.type === "tool_call" && call.name).toBe("get_weather");
    expect(call?.type === "tool_call" && JSON.parse(call.arguments).city).toMatch(/paris/i);
    expect(parts.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
  });
});
