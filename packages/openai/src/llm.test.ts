import { ConfigError, isAbortError, type LlmPart, type LlmRequest, ProviderError } from "callwright";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  errorBody,
  type FakeOpenAIServer,
  type Reply,
  rateLimitedReply,
  serverErrorReply,
  startFakeOpenAI,
  textReply,
  toolCallReply,
} from "../../../test/fakes/openai-server.js";
import { LLM } from "./llm.js";
import type { LLMSettings } from "./options.js";

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startFakeOpenAI();
});
afterEach(async () => {
  await server.close();
});

const hello: LlmRequest = { messages: [{ role: "user", content: "Say hello" }] };

/** An LLM pointed at the fake, with fast retries; the environment is ignored. */
function llm(settings: LLMSettings = {}): LLM {
  return new LLM({ baseUrl: server.baseUrl, model: "gpt-4o-mini", retryBaseDelayMs: 1, ...settings }, {});
}

async function collect(model: LLM, request: LlmRequest = hello, signal = new AbortController().signal) {
  const parts: LlmPart[] = [];
  for await (const part of model.stream(request, { signal })) parts.push(part);
  return parts;
}

const textOf = (parts: readonly LlmPart[]) =>
  parts.map((p) => (p.type === "text_delta" ? p.text : "")).join("");
const errorOf = (parts: readonly LlmPart[]) => {
  const last = parts.at(-1);
  if (last?.type !== "error") throw new Error(`expected an error part last, got ${JSON.stringify(parts)}`);
  return last.error as ProviderError;
};

describe("openai.LLM against a fake OpenAI server", () => {
  it("streams text deltas, then the server's usage, then finish", async () => {
    server.reply(
      textReply("Hello there, how can I help?", { usage: { promptTokens: 12, completionTokens: 7 } }),
    );
    const parts = await collect(llm());
    expect(
      parts.filter((p) => p.type === "text_delta").map((p) => p.type === "text_delta" && p.text),
    ).toEqual(["Hello ", "there, ", "how ", "can ", "I ", "help?"]);
    expect(parts.slice(-2)).toEqual([
      { type: "usage", inputTokens: 12, outputTokens: 7 },
      { type: "finish", reason: "stop" },
    ]);
  });

  it("sends the documented request: stream with usage, messages and tools mapped, no auth without a key", async () => {
    server.reply(textReply("ok"));
    await collect(llm({ temperature: 0.2, maxOutputTokens: 50 }), {
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?", participantId: "u1" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "call_9", name: "get_weather", arguments: '{"city":"Paris"}' }],
        },
        { role: "tool", toolCallId: "call_9", name: "get_weather", content: '{"tempC":21}' },
        { role: "tool", toolCallId: "call_10", name: "get_weather", content: "no such city", isError: true },
        { role: "assistant", content: "It's 21 degrees." },
      ],
      tools: [
        { name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} } },
      ],
    });
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 50,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_9",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_9", content: '{"tempC":21}' },
        { role: "tool", tool_call_id: "call_10", content: "Error: no such city" },
        { role: "assistant", content: "It's 21 degrees." },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather now",
            parameters: { type: "object", properties: {} },
          },
        },
      ],
    });
  });

  it("sends a user's picture as an image_url data URL part, as vision models read it", async () => {
    server.reply(textReply("A blue shirt."));
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 7, 8, 9]);
    const parts = await collect(llm(), {
      messages: [
        {
          role: "user",
          content: "What colour is my shirt?",
          images: [{ mediaType: "image/jpeg", data: jpeg }],
        },
      ],
    });
    expect(textOf(parts)).toBe("A blue shirt.");
    expect(server.requests[0]?.body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What colour is my shirt?" },
          {
            type: "image_url",
            image_url: { url: `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` },
          },
        ],
      },
    ]);
  });

  it("sends the key and organization as headers when set", async () => {
    await server.close();
    server = await startFakeOpenAI({ apiKey: "sk-test" });
    server.reply(textReply("ok"));
    const parts = await collect(
      llm({ apiKey: "sk-test", organization: "org-1", headers: { "x-proxy": "p" } }),
    );
    expect(textOf(parts)).toBe("ok");
    expect(server.requests[0]?.headers).toMatchObject({
      authorization: "Bearer sk-test",
      "openai-organization": "org-1",
      "x-proxy": "p",
    });
  });

  it("assembles tool calls from deltas split across chunks, by index", async () => {
    server.reply(
      toolCallReply(
        [
          { id: "call_a", name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
          { id: "call_b", name: "get_time", arguments: '{"timezone":"Europe/Paris"}' },
        ],
        { argumentPieces: 3, usage: { promptTokens: 30, completionTokens: 20 } },
      ),
    );
    const parts = await collect(llm());
    const deltas = parts.filter((p) => p.type === "tool_call_delta");
    expect(deltas[0]).toEqual({
      type: "tool_call_delta",
      id: "call_a",
      name: "get_weather",
      argumentsDelta: "",
    });
    expect(deltas.filter((d) => d.id === "call_a").length).toBe(4);
    expect(parts.filter((p) => p.type === "tool_call")).toEqual([
      {
        type: "tool_call",
        id: "call_a",
        name: "get_weather",
        arguments: '{"city":"Paris","unit":"celsius"}',
      },
      { type: "tool_call", id: "call_b", name: "get_time", arguments: '{"timezone":"Europe/Paris"}' },
    ]);
    expect(parts.slice(-2)).toEqual([
      { type: "usage", inputTokens: 30, outputTokens: 20 },
      { type: "finish", reason: "tool_calls" },
    ]);
  });

  it("handles servers that number parallel calls all 0 and finish them with 'stop' (older Ollama)", async () => {
    server.reply({
      kind: "stream",
      steps: [
        { delta: { role: "assistant", content: "" } },
        { delta: { tool_calls: [{ index: 0, id: "call_1", function: { name: "a", arguments: "{}" } }] } },
        {
          delta: { tool_calls: [{ index: 0, id: "call_2", function: { name: "b", arguments: '{"x":1}' } }] },
        },
        { delta: {}, finishReason: "stop" },
        { done: true },
      ],
    });
    const parts = await collect(llm());
    expect(
      parts
        .filter((p) => p.type === "tool_call")
        .map((p) => p.type === "tool_call" && [p.id, p.name, p.arguments]),
    ).toEqual([
      ["call_1", "a", "{}"],
      ["call_2", "b", '{"x":1}'],
    ]);
    expect(parts.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
  });

  it("estimates usage, marked estimated, when the server reports none", async () => {
    server.reply({
      kind: "stream",
      steps: [{ delta: { content: "Twelve chars" } }, { delta: {}, finishReason: "length" }, { done: true }],
    });
    const parts = await collect(llm());
    expect(parts.slice(-2)).toEqual([
      { type: "usage", inputTokens: Math.ceil("Say hello".length / 4), outputTokens: 3, estimated: true },
      { type: "finish", reason: "length" },
    ]);
  });

  it("reads SSE as the standard says: comments, CRLF, multi-line data, [DONE] without a blank line", async () => {
    const chunk = (content: string) =>
      JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    server.reply({
      kind: "stream",
      steps: [
        { raw: ": keep-alive\n\n" },
        { raw: `data: ${chunk("Hel")}\r\n\r\n` },
        { raw: `data: {"choices": [{"index": 0,\ndata: "delta": {"content": "lo"}}]}\n\n` },
        { raw: "event: message\n" },
        { raw: `data:${chunk("!")}\n\n` },
        { raw: 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' },
        { raw: "data: [DONE]" },
      ],
    });
    const parts = await collect(llm());
    expect(textOf(parts)).toBe("Hello!");
    expect(parts.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  it("retries a 429, waiting as long as retry-after-ms says, then streams", async () => {
    server.reply(rateLimitedReply({ ms: 80 }), textReply("finally"));
    const parts = await collect(llm());
    expect(textOf(parts)).toBe("finally");
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(75);
  });

  it("honours retry-after in seconds too", async () => {
    server.reply(rateLimitedReply({ seconds: 0.05 }), textReply("ok"));
    expect(textOf(await collect(llm()))).toBe("ok");
    const [first, second] = server.requests;
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(45);
  });

  it("gives up on a 429 whose retry-after is longer than maxRetryDelayMs", async () => {
    server.reply(rateLimitedReply({ seconds: 60 }));
    const error = errorOf(await collect(llm({ maxRetryDelayMs: 5_000 })));
    expect(error.code).toBe("llm_rate_limited");
    expect(error.status).toBe(429);
    expect(error.message).toMatch(/Rate limit reached for gpt-4o-mini.*asked to wait 60000 ms/);
    expect(server.requests).toHaveLength(1);
  });

  it("retries 5xx, then reports a clear error once retries are exhausted", async () => {
    server.reply(serverErrorReply(500), serverErrorReply(503), serverErrorReply(500));
    const parts = await collect(llm({ maxRetries: 2 }));
    expect(parts).toHaveLength(1);
    const error = errorOf(parts);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.provider).toBe("openai");
    expect(error.code).toBe("llm_server_error");
    expect(error.status).toBe(500);
    expect(error.message).toBe(
      `the OpenAI-compatible server at ${server.baseUrl} answered 500 Internal Server Error: The server had an error while processing your request. Sorry about that! (type server_error). (gave up after 3 attempts)`,
    );
    expect(server.requests).toHaveLength(3);
  });

  it("surfaces the server's error message, without retrying a 4xx", async () => {
    server.reply({
      kind: "json",
      status: 404,
      body: errorBody(
        "The model `gpt-9` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
      ),
    });
    const error = errorOf(await collect(llm({ model: "gpt-9" })));
    expect(error.code).toBe("llm_bad_request");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /answered 404 Not Found: The model `gpt-9` does not exist .*code model_not_found.*Check the model id/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("says to check the key on 401", async () => {
    await server.close();
    server = await startFakeOpenAI({ apiKey: "sk-right" });
    const error = errorOf(await collect(llm({ apiKey: "sk-wrong" })));
    expect(error.code).toBe("llm_auth");
    expect(error.message).toMatch(/Incorrect API key provided.*Check OPENAI_API_KEY/);
    expect(error.message).not.toContain("sk-wrong");
  });

  it("stops at once when aborted mid-stream, and closes the HTTP request", async () => {
    server.reply({ kind: "stream", steps: [{ delta: { content: "Once upon" } }, { stall: true }] });
    const controller = new AbortController();
    const seen: LlmPart[] = [];
    const consume = async () => {
      for await (const part of llm().stream(hello, { signal: controller.signal })) {
        seen.push(part);
        controller.abort();
      }
    };
    await expect(consume()).rejects.toSatisfy(isAbortError);
    expect(seen).toEqual([{ type: "text_delta", text: "Once upon" }]);
    const [request] = server.requests;
    await request?.finished;
    expect(request?.clientAborted).toBe(true);
  });

  it("cancels a request still waiting for headers when aborted", async () => {
    server.reply({ kind: "hang" });
    const controller = new AbortController();
    const iterator = llm().stream(hello, { signal: controller.signal })[Symbol.asyncIterator]();
    const next = iterator.next();
    const [request] = await server.waitForRequests(1);
    controller.abort();
    await expect(next).rejects.toSatisfy(isAbortError);
    await request?.finished;
    expect(request?.clientAborted).toBe(true);
  });

  it("closes the request when the caller stops iterating early", async () => {
    server.reply({ kind: "stream", steps: [{ delta: { content: "a" } }, { stall: true }] });
    for await (const part of llm().stream(hello, { signal: new AbortController().signal })) {
      expect(part.type).toBe("text_delta");
      break;
    }
    const [request] = server.requests;
    await request?.finished;
    expect(request?.clientAborted).toBe(true);
  });

  it("ends with a timeout error part when the stream goes idle after the first token (no retry)", async () => {
    server.reply({ kind: "stream", steps: [{ delta: { content: "Hmm" } }, { stall: true }] });
    const parts = await collect(llm({ idleTimeoutMs: 100 }));
    expect(parts[0]).toEqual({ type: "text_delta", text: "Hmm" });
    const error = errorOf(parts);
    expect(error.code).toBe("llm_timeout");
    expect(error.message).toMatch(/sent nothing for 100 ms \(option idleTimeoutMs\)/);
    expect(server.requests).toHaveLength(1);
    await server.requests[0]?.finished;
  });

  it("retries a server that never sends headers, then reports the timeout", async () => {
    server.reply({ kind: "hang" }, { kind: "hang" });
    const error = errorOf(await collect(llm({ firstByteTimeoutMs: 100, maxRetries: 1 })));
    expect(error.code).toBe("llm_timeout");
    expect(error.message).toMatch(/no response headers for 100 ms .*gave up after 2 attempts/);
    expect(server.requests).toHaveLength(2);
  });

  it("turns a connection dropped mid-stream into an error part after the text so far", async () => {
    server.reply({
      kind: "stream",
      steps: [{ delta: { content: "Half a" } }, { waitMs: 20 }, { drop: true }],
    });
    const parts = await collect(llm());
    expect(parts[0]).toEqual({ type: "text_delta", text: "Half a" });
    expect(parts).toHaveLength(2);
    expect(errorOf(parts).code).toBe("llm_stream_interrupted");
    expect(server.requests).toHaveLength(1);
  });

  it("retries a connection dropped before anything was streamed", async () => {
    server.reply(
      { kind: "drop" },
      { kind: "stream", steps: [{ drop: true }] },
      textReply("third time lucky"),
    );
    expect(textOf(await collect(llm({ maxRetries: 2 })))).toBe("third time lucky");
    expect(server.requests).toHaveLength(3);
  });

  it("turns an error event mid-stream into an error part", async () => {
    server.reply({
      kind: "stream",
      steps: [{ delta: { content: "Par" } }, { data: errorBody("The model is overloaded.", "server_error") }],
    });
    const parts = await collect(llm());
    expect(textOf(parts)).toBe("Par");
    expect(errorOf(parts).message).toMatch(/reported an error mid-stream: The model is overloaded\./);
  });

  it("reuses the connection for the next turn, even when the body ends a little after [DONE]", async () => {
    const lateEnd = (text: string): Reply => {
      const reply = textReply(text);
      if (reply.kind !== "stream") throw new Error("textReply streams");
      return {
        kind: "stream",
        steps: [...reply.steps.slice(0, -1), { raw: "data: [DONE]\n\n" }, { waitMs: 30 }],
      };
    };
    server.reply(lateEnd("one"), textReply("two"));
    const model = llm();
    expect(textOf(await collect(model))).toBe("one");
    // A turn later (the client returns the socket to its pool on the next tick, as between real turns).
    await new Promise((resolve) => setImmediate(resolve));
    expect(textOf(await collect(model))).toBe("two");
    expect(server.connectionsAccepted).toBe(1);
  });

  it("reads a whole (non-streamed) completion from a server that ignores stream: true", async () => {
    server.reply({
      kind: "json",
      status: 200,
      body: {
        id: "chatcmpl-1",
        object: "chat.completion",
        choices: [
          { index: 0, message: { role: "assistant", content: "All at once." }, finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
      },
    });
    const parts = await collect(llm());
    expect(parts).toEqual([
      { type: "text_delta", text: "All at once." },
      { type: "usage", inputTokens: 5, outputTokens: 4 },
      { type: "finish", reason: "stop" },
    ]);
  });

  it("warms up against GET /models, and says so when the server is not running", async () => {
    await llm().warmup();
    expect(server.requests.at(-1)?.path).toBe("/v1/models");
    const closedPort = new URL(server.baseUrl).port;
    await server.close();
    server = await startFakeOpenAI();
    const down = new LLM({ baseUrl: `http://127.0.0.1:${closedPort}/v1` }, {});
    await expect(down.warmup()).rejects.toMatchObject({
      code: "llm_connection",
      message: /ECONNREFUSED.*Is the server running/,
    });
  });

  it("stops waiting to retry when aborted during the backoff", async () => {
    server.reply(rateLimitedReply({ ms: 5_000 }));
    const controller = new AbortController();
    const iterator = llm({ maxRetryDelayMs: 10_000 })
      .stream(hello, { signal: controller.signal })
      [Symbol.asyncIterator]();
    const next = iterator.next();
    await server.waitForRequests(1);
    await server.requests[0]?.finished;
    controller.abort();
    await expect(next).rejects.toSatisfy(isAbortError);
    expect(server.requests).toHaveLength(1);
  });

  it("close() ends a request in flight, without retrying it", async () => {
    server.reply({ kind: "hang" });
    const model = llm();
    const iterator = model.stream(hello, { signal: new AbortController().signal })[Symbol.asyncIterator]();
    const next = iterator.next();
    const [request] = await server.waitForRequests(1);
    await model.close();
    await expect(next).rejects.toThrow(/openai.LLM is closed/);
    await request?.finished;
    expect(request?.clientAborted).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("refuses to stream after close()", async () => {
    const model = llm();
    await model.close();
    await expect(collect(model)).rejects.toThrow(/closed/);
  });
});

describe("openai.LLM options", () => {
  it("reads model, key and server from the environment", () => {
    const model = new LLM({}, { OPENAI_MODEL: "llama3.2", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1/" });
    expect(model.modelId).toBe("llama3.2");
    expect(model.baseUrl).toBe("http://127.0.0.1:11434/v1");
    expect(model.provider).toBe("openai");
  });

  it("defaults to OpenAI and gpt-4o-mini, and then needs a key", () => {
    const model = new LLM({}, { OPENAI_API_KEY: "sk-x" });
    expect(model.baseUrl).toBe("https://api.openai.com/v1");
    expect(model.modelId).toBe("gpt-4o-mini");
    expect(() => new LLM({}, {})).toThrow(ConfigError);
    expect(() => new LLM({}, {})).toThrow(/OPENAI_API_KEY is not set/);
  });

  it("rejects a bad base URL or timeout with the option's name", () => {
    expect(() => new LLM({ baseUrl: "localhost:11434" }, {})).toThrow(/invalid OpenAI base URL/);
    expect(() => new LLM({ baseUrl: "http://x/v1", idleTimeoutMs: 0 }, {})).toThrow(/idleTimeoutMs/);
  });
});
