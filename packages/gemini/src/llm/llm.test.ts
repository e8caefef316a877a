import {
  ConfigError,
  isAbortError,
  type LlmPart,
  type LlmRequest,
  ProviderError,
  tool,
  toolSpec,
} from "callwright";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type FakeGeminiServer,
  functionCallReply,
  googleError,
  rateLimitedReply,
  serverErrorReply,
  startFakeGemini,
  textReply,
} from "../../../../test/fakes/gemini-server.js";
import { createGemini } from "../provider.js";
import { LLM } from "./llm.js";
import type { LLMSettings } from "./options.js";

let server: FakeGeminiServer;
beforeEach(async () => {
  server = await startFakeGemini();
});
afterEach(async () => {
  await server.close();
});

const hello: LlmRequest = { messages: [{ role: "user", content: "Say hello" }] };

/** An LLM pointed at the fake with its key and fast retries; the environment is ignored. */
function llm(settings: LLMSettings = {}): LLM {
  return new LLM({ baseUrl: server.baseUrl, apiKey: server.apiKey, retryBaseDelayMs: 1, ...settings }, {});
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

describe("gemini.LLM against a fake Gemini API", () => {
  it("streams text deltas, then the reported usage (thinking counted as output), then finish", async () => {
    server.reply(
      textReply("Hello there, friend.", {
        usage: { promptTokens: 12, candidatesTokens: 5, thoughtsTokens: 30 },
      }),
    );
    const parts = await collect(llm());
    expect(
      parts.filter((p) => p.type === "text_delta").map((p) => p.type === "text_delta" && p.text),
    ).toEqual(["Hello ", "there, ", "friend."]);
    expect(parts.slice(-2)).toEqual([
      { type: "usage", inputTokens: 12, outputTokens: 35 },
      { type: "finish", reason: "stop" },
    ]);
  });

  it("posts to models/{model}:streamGenerateContent?alt=sse with the key in a header, never in the URL", async () => {
    server.reply(textReply("ok"));
    await collect(llm({ model: "gemini-2.5-pro", headers: { "x-proxy": "p" } }));
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
    expect(request?.headers["x-goog-api-key"]).toBe(server.apiKey);
    expect(request?.headers["x-proxy"]).toBe("p");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.url.searchParams.has("key")).toBe(false);
  });

  it("maps the history both ways: system instruction, roles, pictures, calls and results, merged turns", async () => {
    server.reply(
      functionCallReply([{ name: "get_weather", args: { city: "Paris" } }], { signature: "c2lnLTE=" }),
    );
    server.reply(textReply("It is 21 degrees."));
    const model = llm({ temperature: 0.3, maxOutputTokens: 80, thinkingBudget: 0 });
    const weather = {
      name: "get_weather",
      description: "Weather now",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    };
    const first = await collect(model, {
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: "What's this, and the weather in Paris?",
          images: [{ mediaType: "image/jpeg", data: new Uint8Array([1, 2, 3]) }],
        },
      ],
      tools: [weather],
    });
    const call = first.find((p) => p.type === "tool_call");
    if (call?.type !== "tool_call") throw new Error("no tool call");
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(first.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });

    await collect(model, {
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: "What's this, and the weather in Paris?",
          images: [{ mediaType: "image/jpeg", data: new Uint8Array([1, 2, 3]) }],
        },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: call.id, name: call.name, arguments: call.arguments }],
        },
        { role: "tool", toolCallId: call.id, name: "get_weather", content: '{"tempC":21}' },
        { role: "user", content: "And tomorrow?" },
        { role: "assistant", content: "" },
        {
          role: "tool",
          toolCallId: "call_from_openai",
          name: "get_weather",
          content: "no data",
          isError: true,
        },
      ],
      tools: [weather],
    });
    expect(server.requests[1]?.body).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        {
          role: "user",
          parts: [
            { inlineData: { mimeType: "image/jpeg", data: "AQID" } },
            { text: "What's this, and the weather in Paris?" },
          ],
        },
        // The call goes back with the thought signature it came with (Gemini gave no id).
        {
          role: "model",
          parts: [
            { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "c2lnLTE=" },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { tempC: 21 } } },
            { text: "And tomorrow?" },
            { functionResponse: { name: "get_weather", response: { error: "no data" } } },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            {
              name: "get_weather",
              description: "Weather now",
              parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            },
          ],
        },
      ],
      generationConfig: { temperature: 0.3, maxOutputTokens: 80, thinkingConfig: { thinkingBudget: 0 } },
    });
  });

  it("keeps Gemini's own call ids, and sends them back on the call and its response", async () => {
    server.reply(
      functionCallReply([
        { name: "a", args: {}, id: "fc-1" },
        { name: "b", args: { x: [1, 2] }, id: "fc-2" },
      ]),
      textReply("done"),
    );
    const model = llm();
    const parts = await collect(model);
    const calls = parts.filter((p) => p.type === "tool_call");
    expect(calls).toEqual([
      { type: "tool_call", id: "fc-1", name: "a", arguments: "{}" },
      { type: "tool_call", id: "fc-2", name: "b", arguments: '{"x":[1,2]}' },
    ]);
    await collect(model, {
      messages: [
        ...hello.messages,
        {
          role: "assistant",
          content: "",
          toolCalls: calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
        },
        { role: "tool", toolCallId: "fc-1", name: "a", content: "ok" },
        { role: "tool", toolCallId: "fc-2", name: "b", content: "[3]" },
      ],
    });
    expect((server.requests[1]!.body.contents as unknown[]).slice(1)).toEqual([
      {
        role: "model",
        parts: [
          { functionCall: { name: "a", args: {}, id: "fc-1" } },
          { functionCall: { name: "b", args: { x: [1, 2] }, id: "fc-2" } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "a", response: { result: "ok" }, id: "fc-1" } },
          { functionResponse: { name: "b", response: { result: [3] }, id: "fc-2" } },
        ],
      },
    ]);
  });

  it("signs another provider's calls with Google's placeholder for Gemini 3, which refuses unsigned calls", async () => {
    server.reply(textReply("ok"), textReply("ok"));
    const history: LlmRequest = {
      messages: [
        ...hello.messages,
        {
          role: "assistant",
          content: "Checking.",
          toolCalls: [{ id: "call_x", name: "a", arguments: "{}" }],
        },
        { role: "tool", toolCallId: "call_x", name: "a", content: "{}" },
      ],
    };
    await collect(llm({ model: "gemini-3-flash-preview" }), history);
    await collect(llm(), history);
    const modelTurn = (i: number) => (server.requests[i]!.body.contents as { parts: unknown[] }[])[1];
    expect(modelTurn(0)).toEqual({
      role: "model",
      parts: [
        { text: "Checking." },
        { functionCall: { name: "a", args: {} }, thoughtSignature: "skip_thought_signature_validator" },
      ],
    });
    expect(modelTurn(1)).toEqual({
      role: "model",
      parts: [{ text: "Checking." }, { functionCall: { name: "a", args: {} } }],
    });
  });

  it("declares zod tools in a form Gemini accepts (the fake refuses what Gemini refuses)", async () => {
    const booking = tool({
      name: "book_table",
      description: "Books a table",
      parameters: z.object({
        restaurant: z.string().describe("Name"),
        guests: z.number().int().positive(),
        when: z.string().datetime(),
        email: z.string().email().optional(),
        seating: z.enum(["inside", "terrace"]),
        kind: z.literal("dinner"),
        notes: z.string().nullable(),
        tags: z.array(z.string()).max(3),
        extras: z.record(z.string(), z.number()),
        contact: z.union([z.object({ phone: z.string() }), z.object({ email: z.string() })]),
      }),
      execute: () => "ok",
    });
    const clock = tool({ name: "now", description: "Time", parameters: z.object({}), execute: () => "noon" });
    server.reply(textReply("Booked."));
    const parts = await collect(llm(), {
      messages: hello.messages,
      tools: [toolSpec(booking), toolSpec(clock)],
    });
    expect(textOf(parts)).toBe("Booked.");
    const [declaration, noArgs] = (
      server.requests[0]!.body.tools as { functionDeclarations: Record<string, unknown>[] }[]
    )[0]!.functionDeclarations;
    expect(noArgs).toEqual({ name: "now", description: "Time" });
    expect(declaration?.parameters).toEqual({
      type: "object",
      properties: {
        restaurant: { type: "string", description: "Name" },
        guests: { type: "integer", minimum: 0, description: "greater than 0", maximum: expect.any(Number) },
        when: { type: "string", format: "date-time", pattern: expect.any(String) },
        email: { type: "string", description: "format: email", pattern: expect.any(String) },
        seating: { type: "string", enum: ["inside", "terrace"] },
        kind: { type: "string", enum: ["dinner"] },
        notes: { type: "string", nullable: true },
        tags: { type: "array", items: { type: "string" }, maxItems: 3 },
        extras: { type: "object" },
        contact: {
          anyOf: [
            { type: "object", properties: { phone: { type: "string" } }, required: ["phone"] },
            { type: "object", properties: { email: { type: "string" } }, required: ["email"] },
          ],
        },
      },
      required: ["restaurant", "guests", "when", "seating", "kind", "notes", "tags", "extras", "contact"],
    });
  });

  it("retries a 429 after the delay its RetryInfo asks for, then streams", async () => {
    server.reply(rateLimitedReply("0.08s"), textReply("finally"));
    const parts = await collect(llm());
    expect(textOf(parts)).toBe("finally");
    const [first, second] = server.requests;
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(75);
  });

  it("gives up on a 429 whose RetryInfo asks for longer than maxRetryDelayMs, saying so", async () => {
    server.reply(rateLimitedReply("39s"));
    const error = errorOf(await collect(llm({ maxRetryDelayMs: 5_000 })));
    expect(error).toBeInstanceOf(ProviderError);
    expect([error.code, error.kind, error.status, error.retryAfterMs]).toEqual([
      "llm_rate_limited",
      "rate_limit",
      429,
      39_000,
    ]);
    expect(error.message).toMatch(/You exceeded your current quota.*asked to wait 39000 ms/);
    expect(server.requests).toHaveLength(1);
  });

  it("calls a wrong key an auth failure (Google says 400), naming both variables, without retrying", async () => {
    const parts = await collect(llm({ apiKey: "AIza-wrong" }));
    const error = errorOf(parts);
    expect([error.code, error.kind, error.status, error.retryable]).toEqual(["llm_auth", "auth", 400, false]);
    expect(error.message).toMatch(/API key not valid.*Check GOOGLE_API_KEY or GEMINI_API_KEY/);
    expect(error.message).not.toContain("AIza-wrong");
    expect(server.requests).toHaveLength(1);
  });

  it("retries 503 overloaded, then reports a clear error once retries are exhausted", async () => {
    server.reply(serverErrorReply(503), textReply("recovered"));
    expect(textOf(await collect(llm()))).toBe("recovered");
    server.reply(serverErrorReply(503), serverErrorReply(500), serverErrorReply(503));
    const error = errorOf(await collect(llm({ maxRetries: 2 })));
    expect(error.code).toBe("llm_server_error");
    expect(error.message).toMatch(
      /answered 503 Service Unavailable: The model is overloaded.*gave up after 3 attempts/,
    );
  });

  it("surfaces a 400 about the request with Google's words, without retrying", async () => {
    server.reply({
      kind: "json",
      status: 400,
      body: googleError(400, "FAILED_PRECONDITION", "User location is not supported for the API use."),
    });
    const error = errorOf(await collect(llm()));
    expect([error.code, error.retryable]).toEqual(["llm_bad_request", false]);
    expect(error.message).toMatch(/User location is not supported/);
  });

  it("turns a connection dropped mid-reply into an error part after the text so far (no retry)", async () => {
    server.reply({ kind: "stream", steps: [{ text: "Half a" }, { waitMs: 20 }, { drop: true }] });
    const parts = await collect(llm());
    expect(parts[0]).toEqual({ type: "text_delta", text: "Half a" });
    expect(parts).toHaveLength(2);
    expect(errorOf(parts).code).toBe("llm_stream_interrupted");
    expect(server.requests).toHaveLength(1);
  });

  it("retries a connection dropped before anything was streamed, and one cut by the kit's drop fault", async () => {
    server.reply({ kind: "drop" }, { kind: "stream", steps: [{ drop: true }] }, textReply("third time"));
    expect(textOf(await collect(llm({ maxRetries: 2 })))).toBe("third time");
    expect(server.requests).toHaveLength(3);
  });

  it("retries a slow first byte after firstByteTimeoutMs, then reports the timeout", async () => {
    server.faults.firstByteDelayMs = 300;
    const error = errorOf(await collect(llm({ firstByteTimeoutMs: 100, maxRetries: 1 })));
    expect(error.code).toBe("llm_timeout");
    expect(error.message).toMatch(
      /no response headers for 100 ms \(option firstByteTimeoutMs\).*gave up after 2 attempts/,
    );
    expect(server.requests).toHaveLength(2);
  });

  it("ends with a timeout error when the stream goes idle after the first token", async () => {
    server.reply({ kind: "stream", steps: [{ text: "Hmm" }, { stall: true }] });
    const parts = await collect(llm({ idleTimeoutMs: 100 }));
    expect(parts[0]).toEqual({ type: "text_delta", text: "Hmm" });
    expect(errorOf(parts).message).toMatch(/sent nothing for 100 ms \(option idleTimeoutMs\)/);
  });

  it("reports a malformed chunk as a bad response: before any text as the only part, after text as the last", async () => {
    server.faults.malformedNext = true;
    server.reply(textReply("never seen"));
    const first = await collect(llm());
    expect(first).toHaveLength(1);
    expect(errorOf(first)).toMatchObject({
      code: "llm_bad_response",
      message: /sent an event that is not JSON/,
    });
    server.reply({ kind: "stream", steps: [{ text: "Par" }, { raw: 'data: {"candidates": [{\r\n\r\n' }] });
    const later = await collect(llm());
    expect(textOf(later)).toBe("Par");
    expect(errorOf(later).code).toBe("llm_bad_response");
  });

  it("turns an error object mid-stream into an error part, and a body that ends unfinished into an interruption", async () => {
    server.reply({
      kind: "stream",
      steps: [{ text: "Par" }, { data: googleError(500, "INTERNAL", "An internal error has occurred.") }],
    });
    const parts = await collect(llm());
    expect(textOf(parts)).toBe("Par");
    expect(errorOf(parts).message).toMatch(
      /Gemini API at .* \(mid-stream\) answered 500: An internal error has occurred/,
    );
    server.reply({ kind: "stream", steps: [{ text: "Cut" }] });
    expect(errorOf(await collect(llm())).code).toBe("llm_stream_interrupted");
  });

  it("maps finish reasons: MAX_TOKENS is length, SAFETY and a blocked prompt are content_filter", async () => {
    server.reply(
      { kind: "stream", steps: [{ text: "Once upon" }, { finish: "MAX_TOKENS" }] },
      { kind: "stream", steps: [{ finish: "SAFETY" }] },
      { kind: "stream", steps: [{ blocked: "PROHIBITED_CONTENT" }] },
    );
    expect((await collect(llm())).at(-1)).toEqual({ type: "finish", reason: "length" });
    expect((await collect(llm())).at(-1)).toEqual({ type: "finish", reason: "content_filter" });
    const blocked = await collect(llm());
    expect(blocked.map((p) => p.type)).toEqual(["usage", "finish"]);
    expect(blocked.at(-1)).toEqual({ type: "finish", reason: "content_filter" });
  });

  it("skips thought summaries", async () => {
    server.reply({
      kind: "stream",
      steps: [{ text: "Let me think", thought: true }, { text: "Answer." }, { finish: "STOP" }],
    });
    expect(textOf(await collect(llm()))).toBe("Answer.");
  });

  it("stops at once when aborted mid-stream, and closes the HTTP request", async () => {
    server.reply({ kind: "stream", steps: [{ text: "Once upon" }, { stall: true }] });
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
    await server.requests[0]?.finished;
    expect(server.requests[0]?.clientAborted).toBe(true);
  });

  it("cancels a request still waiting for headers when aborted, and one whose caller stops iterating", async () => {
    server.reply({ kind: "hang" }, { kind: "stream", steps: [{ text: "a" }, { stall: true }] });
    const controller = new AbortController();
    const iterator = llm().stream(hello, { signal: controller.signal })[Symbol.asyncIterator]();
    const next = iterator.next();
    const [waiting] = await server.waitForRequests(1);
    controller.abort();
    await expect(next).rejects.toSatisfy(isAbortError);
    await waiting?.finished;
    expect(waiting?.clientAborted).toBe(true);

    for await (const part of llm().stream(hello, { signal: new AbortController().signal })) {
      expect(part.type).toBe("text_delta");
      break;
    }
    await server.requests[1]?.finished;
    expect(server.requests[1]?.clientAborted).toBe(true);
  });

  it("stops waiting to retry when aborted during a RetryInfo wait", async () => {
    server.reply(rateLimitedReply("5s"));
    const controller = new AbortController();
    const iterator = llm().stream(hello, { signal: controller.signal })[Symbol.asyncIterator]();
    const next = iterator.next();
    await server.waitForRequests(1);
    await server.requests[0]?.finished;
    controller.abort();
    await expect(next).rejects.toSatisfy(isAbortError);
    expect(server.requests).toHaveLength(1);
  });

  it("close() ends a request in flight without retrying it; stream() after close throws", async () => {
    server.reply({ kind: "hang" });
    const model = llm();
    const next = model.stream(hello, { signal: new AbortController().signal })[Symbol.asyncIterator]().next();
    const [request] = await server.waitForRequests(1);
    await model.close();
    await expect(next).rejects.toThrow(/gemini.LLM is closed/);
    await request?.finished;
    expect(request?.clientAborted).toBe(true);
    await expect(collect(model)).rejects.toThrow(/closed/);
  });

  it("reuses the connection for the next turn", async () => {
    server.reply(textReply("one"), textReply("two"));
    const model = llm();
    expect(textOf(await collect(model))).toBe("one");
    await new Promise((resolve) => setImmediate(resolve));
    expect(textOf(await collect(model))).toBe("two");
    expect(server.connectionsAccepted).toBe(1);
  });

  it("warms up against models/{model}: passes with a good key, names the problem otherwise", async () => {
    await llm().warmup();
    expect(server.requests.at(-1)?.path).toBe("/v1beta/models/gemini-2.5-flash");
    await expect(llm({ apiKey: "bad" }).warmup()).rejects.toMatchObject({
      code: "llm_auth",
      message: /GEMINI_API_KEY/,
    });
    await expect(llm({ model: "gemini-9" }).warmup()).rejects.toMatchObject({
      code: "llm_bad_request",
      message: /models\/gemini-9 is not found.*Check the model id/,
    });
    const port = new URL(server.baseUrl).port;
    await server.close();
    server = await startFakeGemini();
    await expect(
      new LLM({ apiKey: "k", baseUrl: `http://127.0.0.1:${port}` }, {}).warmup(),
    ).rejects.toMatchObject({
      code: "llm_connection",
      message: /ECONNREFUSED/,
    });
  });
});

describe("gemini.LLM options", () => {
  it("fails at construction without a key, naming both variables", () => {
    expect(() => new LLM({}, {})).toThrow(ConfigError);
    expect(() => new LLM({}, {})).toThrow(/set GOOGLE_API_KEY or GEMINI_API_KEY, or pass `apiKey`/);
    expect(() => new LLM({}, { GEMINI_API_KEY: "  " })).toThrow(/GOOGLE_API_KEY or GEMINI_API_KEY/);
  });

  it("reads the key (GOOGLE_API_KEY first) and the base URL from the environment", async () => {
    server.reply(textReply("a"), textReply("b"));
    const env = { GEMINI_API_KEY: server.apiKey, GEMINI_BASE_URL: `${server.baseUrl}/` };
    const fromGemini = new LLM({}, env);
    expect([fromGemini.modelId, fromGemini.baseUrl, fromGemini.provider]).toEqual([
      "gemini-2.5-flash",
      server.baseUrl,
      "gemini",
    ]);
    expect(textOf(await collect(fromGemini))).toBe("a");
    const preferred = new LLM({}, { ...env, GOOGLE_API_KEY: "google-key" });
    expect(errorOf(await collect(preferred)).code).toBe("llm_auth");
    expect(server.requests.at(-1)?.headers["x-goog-api-key"]).toBe("google-key");
  });

  it("defaults to Google's service and rejects bad values with the option's name", () => {
    expect(new LLM({ apiKey: "k" }, {}).baseUrl).toBe("https://generativelanguage.googleapis.com");
    expect(() => new LLM({ apiKey: "k", baseUrl: "127.0.0.1:8101" }, {})).toThrow(/not a URL|http/);
    expect(() => new LLM({ apiKey: "k", idleTimeoutMs: 0 }, {})).toThrow(/idleTimeoutMs/);
    expect(() => new LLM({ apiKey: "k", thinkingBudget: -2 }, {})).toThrow(/thinkingBudget/);
    expect(() => new LLM({ apiKey: "k", temperature: 3 }, {})).toThrow(/temperature/);
    expect(new LLM({ apiKey: "k", model: "models/gemini-2.5-pro" }, {}).modelId).toBe("gemini-2.5-pro");
  });

  it("createGemini makes models that share settings", () => {
    const google = createGemini({ apiKey: "k", baseUrl: "http://127.0.0.1:8101" }, {});
    const a = google("gemini-2.5-pro");
    const b = google.llm(undefined, { baseUrl: "http://127.0.0.1:8102" });
    expect([a.modelId, a.baseUrl]).toEqual(["gemini-2.5-pro", "http://127.0.0.1:8101"]);
    expect([b.modelId, b.baseUrl]).toEqual(["gemini-2.5-flash", "http://127.0.0.1:8102"]);
  });
});
