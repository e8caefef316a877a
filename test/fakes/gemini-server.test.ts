// The Gemini fake checked on its own, and with Google's official SDK (@google/genai) pointed at
// it by base URL: the SDK must get what it expects, or the fake is not honest. The last tests
// also record what the SDK does with the error body and with an abandoned stream, which is why
// @callwright/gemini speaks the protocol over fetch (docs/providers.md).
import { ApiError, GoogleGenAI } from "@google/genai";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeGeminiServer,
  functionCallReply,
  rateLimitedReply,
  startFakeGemini,
  textReply,
} from "./gemini-server.js";

let server: FakeGeminiServer;
afterEach(async () => {
  await server?.close();
});

const hello = { contents: [{ role: "user", parts: [{ text: "hi" }] }] };

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": server.apiKey, ...headers },
    body: JSON.stringify(body),
  });
}

const streamPath = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";

describe("fake Gemini server", () => {
  it("streams GenerateContentResponse chunks as SSE with CRLF blank lines, usage on each, finish on the last", async () => {
    server = await startFakeGemini();
    server.reply(
      textReply(["Hello", " there"], { usage: { promptTokens: 7, candidatesTokens: 3, thoughtsTokens: 11 } }),
    );
    const response = await post(`${streamPath}?alt=sse`, hello);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    const events = text.split("\r\n\r\n");
    expect(events.pop()).toBe("");
    const chunks = events.map((e) => {
      expect(e.startsWith("data: ")).toBe(true);
      return JSON.parse(e.slice(6));
    });
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text)).toEqual(["Hello", " there", ""]);
    expect(chunks[0]).toMatchObject({
      candidates: [{ content: { role: "model" }, index: 0 }],
      usageMetadata: { promptTokenCount: 7, totalTokenCount: expect.any(Number) },
      modelVersion: "gemini-2.5-flash",
      responseId: "fake-response-1",
    });
    expect(chunks[0].candidates[0].finishReason).toBeUndefined();
    expect(chunks.at(-1)).toMatchObject({
      candidates: [{ finishReason: "STOP" }],
      usageMetadata: {
        promptTokenCount: 7,
        candidatesTokenCount: 3,
        thoughtsTokenCount: 11,
        totalTokenCount: 21,
      },
    });
  });

  it("streams one JSON array without alt=sse", async () => {
    server = await startFakeGemini();
    server.reply(textReply("Hi you"));
    const response = await post(streamPath, hello);
    expect(response.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    const chunks = JSON.parse(await response.text());
    expect(
      chunks.map(
        (c: { candidates: { content: { parts: { text: string }[] } }[] }) =>
          c.candidates[0]?.content.parts[0]?.text,
      ),
    ).toEqual(["Hi ", "you", ""]);
  });

  it("answers a wrong key with 400 API_KEY_INVALID, no key with 403, as Google does", async () => {
    server = await startFakeGemini();
    const wrong = await post(`${streamPath}?alt=sse`, hello, { "x-goog-api-key": "nope" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: { code: 400, status: "INVALID_ARGUMENT", details: [{ reason: "API_KEY_INVALID" }, {}] },
    });
    const none = await post(`${streamPath}?alt=sse`, hello, { "x-goog-api-key": "" });
    expect(none.status).toBe(403);
    expect((await none.json()).error.status).toBe("PERMISSION_DENIED");
    const byQuery = await fetch(`${server.baseUrl}/v1beta/models/gemini-2.5-flash?key=${server.apiKey}`);
    expect(byQuery.status).toBe(200);
  });

  it("refuses what Gemini refuses: unknown schema keywords, type lists, arrays without items, empty text", async () => {
    server = await startFakeGemini();
    const tool = (parameters: unknown) => ({
      ...hello,
      tools: [{ functionDeclarations: [{ name: "f", description: "d", parameters }] }],
    });
    const refused = async (body: unknown) => {
      const response = await post(`${streamPath}?alt=sse`, body);
      expect(response.status).toBe(400);
      return (await response.json()).error.message as string;
    };
    expect(
      await refused(
        tool({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false }),
      ),
    ).toBe(
      `Invalid JSON payload received. Unknown name "additionalProperties" at 'tools[0].function_declarations[0].parameters': Cannot find field.`,
    );
    expect(await refused(tool({ type: "object", properties: { a: { type: ["string", "null"] } } }))).toMatch(
      /Unknown name "type" at 'tools\[0\]\.function_declarations\[0\]\.parameters\.properties\[a\]\.value': Proto field is not repeating/,
    );
    expect(await refused(tool({ type: "object", properties: { a: { type: "array" } } }))).toMatch(
      /items: missing field/,
    );
    expect(await refused(tool({ type: "object", properties: {} }))).toMatch(
      /should be non-empty for OBJECT type/,
    );
    expect(await refused({ contents: [{ role: "user", parts: [{ text: "" }] }] })).toMatch(
      /empty text parameter/,
    );
    expect(await refused({ contents: [{ role: "assistant", parts: [{ text: "x" }] }] })).toBe(
      "Please use a valid role: user, model.",
    );
    expect(await refused({ contents: [] })).toMatch(/contents is not specified/);
  });

  it("answers 429 RESOURCE_EXHAUSTED with RetryInfo, and 404 for an unknown model", async () => {
    server = await startFakeGemini({ rateLimitRetryDelay: "7s" });
    server.faults.rateLimitNext = 1;
    const limited = await post(`${streamPath}?alt=sse`, hello);
    expect(limited.status).toBe(429);
    const body = await limited.json();
    expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
    expect(body.error.details).toContainEqual({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: "7s",
    });
    const unknown = await post("/v1beta/models/gemini-9:streamGenerateContent?alt=sse", hello);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toMatch(
      /models\/gemini-9 is not found for API version v1beta/,
    );
  });
});

describe("Google's SDK (@google/genai) against the fake", () => {
  const client = () => new GoogleGenAI({ apiKey: server.apiKey, httpOptions: { baseUrl: server.baseUrl } });

  it("streams text and reads the usage", async () => {
    server = await startFakeGemini();
    server.reply(textReply("Hello from the fake", { usage: { promptTokens: 4, candidatesTokens: 5 } }));
    const stream = await client().models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "Say hello",
      config: { systemInstruction: "Be brief.", temperature: 0.2 },
    });
    let text = "";
    let last: { usageMetadata?: { candidatesTokenCount?: number } } | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? "";
      last = chunk;
    }
    expect(text).toBe("Hello from the fake");
    expect(last?.usageMetadata?.candidatesTokenCount).toBe(5);
    const [request] = server.requests;
    expect(request?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    expect(request?.headers["x-goog-api-key"]).toBe(server.apiKey);
    expect(request?.body).toMatchObject({
      contents: [{ role: "user", parts: [{ text: "Say hello" }] }],
      systemInstruction: { parts: [{ text: "Be brief." }] },
      generationConfig: { temperature: 0.2 },
    });
  });

  it("reads function calls, and sends its function declarations in a form the fake accepts", async () => {
    server = await startFakeGemini();
    server.reply(
      functionCallReply([{ name: "get_weather", args: { city: "Paris" } }], { signature: "c2ln" }),
    );
    const stream = await client().models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "Weather in Paris?",
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: "get_weather",
                description: "Weather now",
                parameters: {
                  type: "OBJECT" as never,
                  properties: { city: { type: "STRING" as never } },
                  required: ["city"],
                },
              },
            ],
          },
        ],
      },
    });
    const calls: unknown[] = [];
    for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
    expect(calls).toEqual([{ name: "get_weather", args: { city: "Paris" } }]);
  });

  it("throws an ApiError for a 429 whose RetryInfo is only in its message text", async () => {
    server = await startFakeGemini();
    server.reply(rateLimitedReply("3s"));
    const error = await client()
      .models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    // The body is there, but only as JSON inside the message string: no typed retry delay.
    expect(Object.keys(error as object)).not.toContain("details");
    expect(JSON.parse((error as ApiError).message).error.details).toContainEqual({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: "3s",
    });
  });

  it("closes the request when its abortSignal fires, but not when the caller only stops iterating", async () => {
    server = await startFakeGemini();
    server.reply(
      { kind: "stream", steps: [{ text: "Once" }, { stall: true }] },
      { kind: "stream", steps: [{ text: "Twice" }, { stall: true }] },
    );
    const controller = new AbortController();
    const aborted = await client().models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "story",
      config: { abortSignal: controller.signal },
    });
    for await (const _chunk of aborted) {
      controller.abort();
      break;
    }
    await server.requests[0]?.finished;
    expect(server.requests[0]?.clientAborted).toBe(true);

    const abandoned = await client().models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "story",
    });
    for await (const _chunk of abandoned) break;
    const closed = await Promise.race([
      server.requests[1]?.finished.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 300)),
    ]);
    // The SDK releases its reader without cancelling the body: the request stays open.
    expect(closed).toBe(false);
  });

  it("surfaces a dropped connection and a cut chunk as untyped TypeError and SyntaxError", async () => {
    server = await startFakeGemini();
    server.reply(
      { kind: "stream", steps: [{ text: "Once" }, { waitMs: 20 }, { drop: true }] },
      { kind: "stream", steps: [{ text: "Once" }, { raw: 'data: {"candidates": [\r\n\r\n' }] },
    );
    const failure = async () => {
      try {
        const stream = await client().models.generateContentStream({
          model: "gemini-2.5-flash",
          contents: "x",
        });
        for await (const _chunk of stream) {
          // read on
        }
        return undefined;
      } catch (error) {
        return error as Error;
      }
    };
    const dropped = await failure();
    expect([dropped?.name, dropped?.message]).toEqual(["TypeError", "terminated"]);
    expect((await failure())?.name).toBe("SyntaxError");
  });
});
