// The fake ElevenLabs speaks ElevenLabs' protocols: checked with a plain WebSocket client against
// the documented message flow, and with ElevenLabs' own SDK (@elevenlabs/elevenlabs-js) on the
// HTTP endpoints it covers (the SDK has no client for the text WebSockets).
import { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type FakeElevenLabsServer, startFakeElevenLabs, synthesizeChars } from "./elevenlabs-server.js";

let server: FakeElevenLabsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const VOICE = "VR6AewLTigWG4xSOukaG";
const QUERY = "model_id=eleven_flash_v2_5&output_format=pcm_16000&sync_alignment=true";

async function open(endpoint: "stream-input" | "multi-stream-input", headers: Record<string, string> = {}) {
  const ws = new WebSocket(
    `${server!.baseUrl.replace("http", "ws")}/v1/text-to-speech/${VOICE}/${endpoint}?${QUERY}`,
    {
      headers,
    },
  );
  const messages: Record<string, unknown>[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  return { ws, messages, closed, send };
}

const pcm = (base64: string) => {
  const b = Buffer.from(base64, "base64");
  return new Int16Array(b.buffer, b.byteOffset, b.length / 2);
};

describe("fake ElevenLabs: stream-input", () => {
  it("takes the key in the first message; buffers text until flushed; audio with per-chunk alignment; isFinal; close", async () => {
    server = await startFakeElevenLabs({ charsPerMessage: 5 });
    const c = await open("stream-input");
    c.send({ text: " ", voice_settings: { stability: 0.5 }, xi_api_key: server.apiKey });
    c.send({ text: "Hello " });
    await new Promise((r) => setTimeout(r, 50));
    expect(c.messages).toEqual([]); // under the chunk schedule's 120 characters: nothing yet
    c.send({ text: "world. ", flush: true });
    c.send({ text: "" });
    expect(await c.closed).toEqual({ code: 1000, reason: "" });
    const final = c.messages.at(-1);
    expect(final).toEqual({ audio: null, isFinal: true, alignment: null, normalizedAlignment: null });
    const chunks = c.messages.slice(0, -1) as {
      audio: string;
      alignment: { chars: string[]; charStartTimesMs: number[]; charsDurationsMs: number[] };
    }[];
    expect(chunks.map((m) => m.alignment.chars.join("")).join("")).toBe("Hello world.");
    for (const m of chunks) {
      // Each chunk's times start at its own first sample, and match its audio's length.
      expect(m.alignment.charStartTimesMs[0]).toBe(0);
      const ms = m.alignment.charsDurationsMs.reduce((a, b) => a + b, 0);
      expect(pcm(m.audio).length).toBe((ms * 16000) / 1000);
    }
    const all = chunks.flatMap((m) => Array.from(pcm(m.audio)));
    expect(Int16Array.from(all)).toEqual(
      synthesizeChars("Hello world.", 16000, { msPerChar: 60, msPerSpace: 40 }).samples,
    );
  });

  it("refuses a bad key after the first message, with the service's error and a 1008 close", async () => {
    server = await startFakeElevenLabs();
    const c = await open("stream-input", { "xi-api-key": "wrong" });
    c.send({ text: " " });
    expect(await c.closed).toEqual({ code: 1008, reason: "Invalid API key" });
    expect(c.messages).toEqual([{ message: "Invalid API key", error: "invalid_api_key", code: 1008 }]);
  });

  it("closes 1008 input_timeout_exceeded when no text comes within the inactivity timeout", async () => {
    server = await startFakeElevenLabs({ inactivityTimeoutMs: 100 });
    const c = await open("stream-input", { "xi-api-key": server.apiKey });
    c.send({ text: " " });
    const closed = await c.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^Have not received a new text input within the timeout/);
    expect(c.messages[0]).toMatchObject({ error: "input_timeout_exceeded", code: 1008 });
  });

  it("refuses a changed voice_settings and a first message that is not a single space", async () => {
    server = await startFakeElevenLabs();
    const a = await open("stream-input", { "xi-api-key": server.apiKey });
    a.send({ text: " ", voice_settings: { stability: 0.5 } });
    a.send({ text: "Hi ", voice_settings: { stability: 0.9 } });
    expect((await a.closed).reason).toMatch(/^voice_settings field must be provided in the first message/);
    const b = await open("stream-input", { "xi-api-key": server.apiKey });
    b.send({ text: "Hello " });
    expect((await b.closed).code).toBe(1008);
  });
});

describe("fake ElevenLabs: multi-stream-input", () => {
  it("keeps contexts apart, flushes and closes each, and drops a context closed before its flush", async () => {
    server = await startFakeElevenLabs();
    const c = await open("multi-stream-input", { "xi-api-key": server.apiKey });
    c.send({ text: " ", context_id: "a" });
    c.send({ text: " ", context_id: "b" });
    c.send({ text: "First context. ", context_id: "a", flush: true });
    c.send({ text: "Second context, never flushed. ", context_id: "b" });
    c.send({ context_id: "b", close_context: true });
    c.send({ context_id: "a", close_context: true });
    await new Promise((r) => setTimeout(r, 100));
    const forA = c.messages.filter((m) => m.contextId === "a");
    const forB = c.messages.filter((m) => m.contextId === "b");
    expect(forA.at(-1)).toEqual({ isFinal: true, contextId: "a" });
    expect(forA.filter((m) => typeof m.audio === "string").length).toBeGreaterThan(0);
    expect(forB).toEqual([{ isFinal: true, contextId: "b" }]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN); // the socket outlives its contexts
    c.send({ close_socket: true });
    expect((await c.closed).code).toBe(1000);
  });
});

describe("fake ElevenLabs against ElevenLabs' SDK (@elevenlabs/elevenlabs-js)", () => {
  it("the SDK streams speech over HTTP and reads a voice, as it expects", async () => {
    server = await startFakeElevenLabs();
    const client = new ElevenLabsClient({ apiKey: server.apiKey, baseUrl: server.baseUrl });
    const voice = await client.voices.get(VOICE);
    expect(voice.voiceId).toBe(VOICE);
    const stream = await client.textToSpeech.stream(VOICE, {
      text: "The SDK hears this.",
      modelId: "eleven_flash_v2_5",
      outputFormat: "pcm_16000",
    });
    const chunks: Uint8Array[] = [];
    const reader = stream.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value);
    const bytes = Buffer.concat(chunks);
    const expected = synthesizeChars("The SDK hears this.", 16000, { msPerChar: 60, msPerSpace: 40 }).samples;
    expect(bytes.length).toBe(expected.byteLength);
    const request = server.requests.at(-1)!;
    expect(request.url.searchParams.get("output_format")).toBe("pcm_16000");
    expect(request.json).toMatchObject({ text: "The SDK hears this.", model_id: "eleven_flash_v2_5" });
  });

  it("the SDK reads the fake's refusals as ElevenLabs errors", async () => {
    server = await startFakeElevenLabs();
    const client = new ElevenLabsClient({ apiKey: "wrong", baseUrl: server.baseUrl, maxRetries: 0 });
    const error = await client.voices.get(VOICE).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 401, body: { detail: { status: "invalid_api_key" } } });
  });
});
