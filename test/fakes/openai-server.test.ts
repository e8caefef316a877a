import { afterEach, describe, expect, it } from "vitest";
import { type FakeOpenAIServer, startFakeOpenAI, textReply, toolCallReply } from "./openai-server.js";

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  if (server === undefined) throw new Error("no server");
  return fetch(`${server.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body, checking every event is `data: …` followed by a blank line. */
function events(text: string): string[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      expect(event).toMatch(/^data: /);
      return event.slice("data: ".length);
    });
}

describe("fake OpenAI server", () => {
  it("streams chat.completion.chunk events, the usage chunk when asked, then [DONE]", async () => {
    server = await startFakeOpenAI();
    server.reply(textReply(["Hello", " there"], { usage: { promptTokens: 9, completionTokens: 2 } }));
    const response = await post({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const data = events(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: "chatcmpl-fake1",
        object: "chat.completion.chunk",
        model: "gpt-4o-mini",
      });
      expect(typeof chunk.created).toBe("number");
    }
    expect(chunks[0].choices).toEqual([
      {
        index: 0,
        delta: { role: "assistant", content: "", refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    expect(chunks.slice(1, 3).map((c) => c.choices[0].delta.content)).toEqual(["Hello", " there"]);
    expect(chunks[3].choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
    });
  });

  it("sends no usage chunk (and no usage field) unless the request asks", async () => {
    server = await startFakeOpenAI();
    server.reply(textReply("Hi"));
    const response = await post({ model: "m", messages: [], stream: true });
    const chunks = events(await response.text())
      .slice(0, -1)
      .map((d) => JSON.parse(d));
    expect(chunks.every((c) => !("usage" in c) && c.choices.length === 1)).toBe(true);
  });

  it("splits tool-call arguments across chunks that concatenate back", async () => {
    server = await startFakeOpenAI();
    const args = '{"city":"Paris","unit":"celsius"}';
    server.reply(
      toolCallReply([{ id: "call_1", name: "get_weather", arguments: args }], { argumentPieces: 4 }),
    );
    const response = await post({ model: "m", messages: [], stream: true });
    const chunks = events(await response.text())
      .slice(0, -1)
      .map((d) => JSON.parse(d));
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toEqual({
      index: 0,
      id: "call_1",
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    expect(deltas.length).toBe(5);
    expect(deltas.map((d: { function: { arguments: string } }) => d.function.arguments).join("")).toBe(args);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("tool_calls");
  });

  it("answers 401 with OpenAI's error body when a key is required and missing or wrong", async () => {
    server = await startFakeOpenAI({ apiKey: "sk-right" });
    const missing = await post({ model: "m", messages: [], stream: true });
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.message).toMatch(/You didn't provide an API key/);
    const wrong = await post(
      { model: "m", messages: [], stream: true },
      { authorization: "Bearer sk-wrong" },
    );
    expect(await wrong.json()).toMatchObject({
      error: { code: "invalid_api_key", type: "invalid_request_error" },
    });
  });

  it("lists models, refuses unknown paths, and fails loudly when a test scripted no reply", async () => {
    server = await startFakeOpenAI({ models: ["llama3.2"] });
    const models = await fetch(`${server.baseUrl}/models`);
    expect((await models.json()).data.map((m: { id: string }) => m.id)).toEqual(["llama3.2"]);
    const unknown = await fetch(`${server.baseUrl}/nothing`);
    expect(unknown.status).toBe(404);
    const unscripted = await post({ model: "m", messages: [], stream: true });
    expect(unscripted.status).toBe(500);
    expect((await unscripted.json()).error.message).toMatch(/no reply scripted/);
  });

  it("records requests, and notices a client that went away mid-stream", async () => {
    server = await startFakeOpenAI();
    server.reply({ kind: "stream", steps: [{ delta: { content: "a" } }, { stall: true }] });
    const controller = new AbortController();
    const response = await fetch(`${server.baseUrl}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], stream: true }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    const [request] = await server.waitForRequests(1);
    await request?.finished;
    expect(request?.clientAborted).toBe(true);
    expect(request?.body.messages).toEqual([{ role: "user", content: "x" }]);
  });
});
