// Runs against the real API only when OPENAI_API_KEY is set (OPENAI_BASE_URL and OPENAI_MODEL
// are honoured too, so the same test checks an Ollama or llama.cpp server).
import { type AudioFrame, audioFrame, type LlmPart, resample, type SttPart } from "callwright";
import { describe, expect, it } from "vitest";
import { LLM } from "./llm.js";
import { STT } from "./stt.js";
import { TTS } from "./tts.js";

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

describe.skipIf(!key)("openai.TTS and openai.STT against the real API", () => {
  it("speaks a sentence, then hears it back", { timeout: 60_000 }, async () => {
    const frames: AudioFrame[] = [];
    for await (const frame of new TTS().synthesize("The quick brown fox.", {
      signal: AbortSignal.timeout(30_000),
    })) {
      frames.push(frame);
    }
    expect(frames.length).toBeGreaterThan(0);
    const all = new Int16Array(frames.reduce((n, f) => n + f.samples.length, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f.samples, at);
      at += f.samples.length;
    }
    const at16k = resample(audioFrame(all, frames[0]!.sampleRateHz), 16_000);
    const stream = new STT().stream({ signal: AbortSignal.timeout(30_000), language: "en" });
    stream.push(at16k);
    stream.flush();
    stream.end();
    const parts: SttPart[] = [];
    for await (const part of stream) parts.push(part);
    const final = parts.find((p) => p.type === "final");
    expect(final?.type === "final" && final.text.toLowerCase()).toMatch(/quick brown fox/);
  });
});
