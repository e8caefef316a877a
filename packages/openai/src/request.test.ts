import { describe, expect, it } from "vitest";
import { LLM } from "./llm.js";
import { createOpenAI } from "./provider.js";
import { chatCompletionsBody } from "./request.js";

describe("chatCompletionsBody", () => {
  const request = { messages: [{ role: "user" as const, content: "hi" }], maxOutputTokens: 64 };

  it("caps tokens with max_completion_tokens for OpenAI and max_tokens elsewhere", () => {
    const base = { model: "m", temperature: undefined, maxOutputTokens: 10 };
    expect(chatCompletionsBody(request, { ...base, maxTokensField: "max_completion_tokens" })).toMatchObject({
      max_completion_tokens: 64,
    });
    const other = chatCompletionsBody(
      { messages: request.messages },
      { ...base, maxTokensField: "max_tokens" },
    );
    expect(other.max_tokens).toBe(10);
    expect(other.max_completion_tokens).toBeUndefined();
  });

  it("leaves out what is not set: tools, temperature, token cap", () => {
    const body = chatCompletionsBody(
      { messages: request.messages, tools: [] },
      { model: "m", temperature: undefined, maxOutputTokens: undefined, maxTokensField: "max_tokens" },
    );
    expect(Object.keys(body).sort()).toEqual(["messages", "model", "stream", "stream_options"]);
  });
});

describe("a user message with a picture", () => {
  it("becomes text and an image_url data URL part; without pictures it stays a string", () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const body = chatCompletionsBody(
      {
        messages: [
          {
            role: "user",
            content: "what colour is my shirt",
            images: [{ mediaType: "image/jpeg", data: jpeg }],
          },
          { role: "user", content: "thanks" },
        ],
      },
      {
        model: "gpt-4o-mini",
        temperature: undefined,
        maxOutputTokens: undefined,
        maxTokensField: "max_tokens",
      },
    );
    expect(body.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "what colour is my shirt" },
        {
          type: "image_url",
          image_url: { url: `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` },
        },
      ],
    });
    expect(body.messages[1]).toEqual({ role: "user", content: "thanks" });
  });
});

describe("createOpenAI", () => {
  it("makes models that share settings, each overridable", () => {
    const server = createOpenAI({ baseUrl: "http://127.0.0.1:11434/v1", idleTimeoutMs: 5_000 });
    const a = server("llama3.2");
    const b = server("qwen2.5", { baseUrl: "http://127.0.0.1:8080/v1" });
    expect(a).toBeInstanceOf(LLM);
    expect([a.modelId, a.baseUrl]).toEqual(["llama3.2", "http://127.0.0.1:11434/v1"]);
    expect([b.modelId, b.baseUrl]).toEqual(["qwen2.5", "http://127.0.0.1:8080/v1"]);
  });
});
