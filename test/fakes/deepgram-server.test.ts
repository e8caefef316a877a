// The fake Deepgram speaks Deepgram's protocol: checked with a plain WebSocket client against the
// documented behaviour, and with Deepgram's own SDK (@deepgram/sdk), which must get what it expects.
import { DeepgramClient } from "@deepgram/sdk";
import { concat, silence, speechLike } from "callwright/testing";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type FakeDeepgramServer, startFakeDeepgram } from "./deepgram-server.js";

let server: FakeDeepgramServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const bytes = (samples: Int16Array) => Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);

interface Client {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  /** The next message (after the last one returned) of `type` that matches `where`. */
  next(
    type: string,
    where?: (m: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

async function open(query: string, key = server!.apiKey): Promise<Client> {
  const ws = new WebSocket(`${server!.baseUrl.replace("http", "ws")}/v1/listen?${query}`, {
    headers: { authorization: `Token ${key}` },
  });
  const messages: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  ws.on("message", (data) => {
    messages.push(JSON.parse(String(data)));
    for (const l of listeners) l();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let seen = 0;
  return {
    ws,
    messages,
    closed,
    next: (type, where = () => true, timeoutMs = 3000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          for (; seen < messages.length; seen++) {
            if (messages[seen]!.type === type && where(messages[seen]!)) {
              listeners.delete(check);
              clearTimeout(timer);
              resolve(messages[seen++]!);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${type} in ${timeoutMs} ms: ${JSON.stringify(messages)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

const LINEAR16 =
  "model=nova-3&encoding=linear16&sample_rate=16000&interim_results=true&vad_events=true&punctuate=true";

describe("fake Deepgram: handshake", () => {
  it("refuses a bad key with 401, a dg-error header and Deepgram's JSON body", async () => {
    server = await startFakeDeepgram();
    const refused = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
      (resolve) => {
        const ws = new WebSocket(`${server!.baseUrl.replace("http", "ws")}/v1/listen?${LINEAR16}`, {
          headers: { authorization: "Token nope" },
        });
        ws.on("unexpected-response", (_req, res) => {
          let body = "";
          res.on("data", (c: Buffer) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        ws.on("error", () => {});
      },
    );
    expect(refused.status).toBe(401);
    expect(refused.headers["dg-error"]).toBe("Invalid credentials.");
    expect(JSON.parse(refused.body)).toMatchObject({
      err_code: "INVALID_AUTH",
      err_msg: "Invalid credentials.",
    });
  });

  it("accepts the key as the `token` subprotocol too, and refuses bad queries with 400", async () => {
    server = await startFakeDeepgram();
    const ws = new WebSocket(`${server.baseUrl.replace("http", "ws")}/v1/listen?${LINEAR16}`, [
      "token",
      server.apiKey,
    ]);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    ws.close();
    const status = (query: string) =>
      new Promise<number>((resolve) => {
        const w = new WebSocket(`${server!.baseUrl.replace("http", "ws")}/v1/listen?${query}`, {
          headers: { authorization: `Token ${server!.apiKey}` },
        });
        w.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        w.on("open", () => {
          w.close();
          resolve(101);
        });
        w.on("error", () => {});
      });
    expect(await status("model=nova-9&encoding=linear16&sample_rate=16000")).toBe(400);
    expect(await status("model=nova-2&keyterm=x&encoding=linear16&sample_rate=16000")).toBe(400);
    expect(await status("model=nova-3&keywords=x&encoding=linear16&sample_rate=16000")).toBe(400);
    expect(await status("model=nova-3&encoding=linear16")).toBe(400);
    expect(await status("model=nova-3&encoding=linear16&sample_rate=16000&utterance_end_ms=1000")).toBe(400);
    expect(await status("model=nova-3&encoding=linear16&sample_rate=16000")).toBe(101);
  });
});

describe("fake Deepgram: the stream", () => {
  it("hears the audio at the declared rate: words only from voiced audio, interims then a final", async () => {
    server = await startFakeDeepgram();
    server.say("Turn on the lights.");
    const c = await open(`${LINEAR16}&endpointing=500`);
    // Silence first: no words, no SpeechStarted.
    c.ws.send(bytes(silence({ durationMs: 500 }).samples));
    c.ws.send(bytes(concat(speechLike({ durationMs: 1000 }), silence({ durationMs: 100 })).samples));
    const started = await c.next("SpeechStarted");
    expect(started.timestamp).toBeCloseTo(0.5, 1);
    c.ws.send(JSON.stringify({ type: "Finalize" }));
    await c.next("Results", (m) => m.from_finalize === true);
    const results = c.messages.filter((m) => m.type === "Results");
    const last = results.at(-1) as {
      is_final: boolean;
      from_finalize: boolean;
      start: number;
      duration: number;
    };
    expect(last).toMatchObject({ is_final: true, from_finalize: true, speech_final: false });
    expect(last.start + last.duration).toBeCloseTo(1.6, 2);
    expect(results.slice(0, -1).every((r) => r.is_final === false)).toBe(true);
    expect(results.length).toBeGreaterThan(2); // interims came first
    const transcript = (last as unknown as { channel: { alternatives: { transcript: string }[] } }).channel
      .alternatives[0]!.transcript;
    expect(transcript).toBe("Turn on the lights.");
    c.ws.send(JSON.stringify({ type: "CloseStream" }));
    const meta = await c.next("Metadata");
    expect(meta).toMatchObject({ duration: 1.6, channels: 1, transaction_key: "deprecated" });
    expect(await c.closed).toEqual({ code: 1000, reason: "" });
  });

  it("a Finalize with little audio buffered goes unanswered, as Deepgram warns", async () => {
    server = await startFakeDeepgram({ finalizeMinAudioMs: 60 });
    const c = await open(LINEAR16);
    c.ws.send(bytes(silence({ durationMs: 40 }).samples));
    c.ws.send(JSON.stringify({ type: "Finalize" }));
    await new Promise((r) => setTimeout(r, 200));
    expect(c.messages.filter((m) => m.type === "Results")).toHaveLength(0);
    c.ws.close();
  });

  it("closes 1011 NET-0001 after the idle timeout without audio, unless KeepAlive comes", async () => {
    server = await startFakeDeepgram({ idleTimeoutMs: 300 });
    const idle = await open(LINEAR16);
    const kept = await open(LINEAR16);
    const timer = setInterval(() => kept.ws.send(JSON.stringify({ type: "KeepAlive" })), 100);
    expect(await idle.closed).toEqual({ code: 1011, reason: "NET-0001" });
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(timer);
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
    expect(kept.messages).toEqual([]); // KeepAlive is not answered
    kept.ws.close();
  });

  it("closes 1008 DATA-0000 when raw audio comes without an encoding to decode it with", async () => {
    server = await startFakeDeepgram();
    const c = await open("model=nova-3");
    c.ws.send(bytes(speechLike({ durationMs: 100 }).samples));
    expect(await c.closed).toEqual({ code: 1008, reason: "DATA-0000" });
  });

  it("finalizes on endpointing (speech_final) and sends UtteranceEnd after utterance_end_ms", async () => {
    server = await startFakeDeepgram();
    server.say("Hi.");
    const c = await open(`${LINEAR16}&endpointing=200&utterance_end_ms=1000`);
    c.ws.send(bytes(concat(speechLike({ durationMs: 400 }), silence({ durationMs: 1300 })).samples));
    const end = await c.next("UtteranceEnd");
    const final = c.messages.find((m) => m.type === "Results" && m.is_final === true);
    expect(final).toMatchObject({ speech_final: true, from_finalize: false });
    expect(end.last_word_end).toBeCloseTo(0.4, 1);
    c.ws.close();
  });
});

describe("fake Deepgram against Deepgram's SDK (@deepgram/sdk)", () => {
  it("the SDK's live client connects, streams, finalizes and reads the results it expects", async () => {
    server = await startFakeDeepgram();
    server.say("The SDK can read this.");
    const client = new DeepgramClient({
      apiKey: server.apiKey,
      baseUrl: server.baseUrl.replace("http", "ws"),
    });
    const connection = await client.listen.v1.connect({
      model: "nova-3",
      encoding: "linear16",
      sample_rate: 16000,
      interim_results: "true",
      punctuate: "true",
      endpointing: "false",
      reconnectAttempts: 0,
    });
    const received: {
      type: string;
      is_final?: boolean | undefined;
      from_finalize?: boolean | undefined;
      transcript?: string | undefined;
    }[] = [];
    const finalized = new Promise<void>((resolve) => {
      connection.on("message", (message) => {
        if (message.type === "Results") {
          received.push({
            type: message.type,
            is_final: message.is_final,
            from_finalize: message.from_finalize,
            transcript: message.channel.alternatives[0]?.transcript,
          });
          if (message.from_finalize) resolve();
        } else {
          received.push({ type: message.type });
        }
      });
    });
    connection.connect();
    await connection.waitForOpen();
    connection.sendMedia(
      bytes(concat(speechLike({ durationMs: 800 }), silence({ durationMs: 100 })).samples),
    );
    connection.sendFinalize({ type: "Finalize" });
    await finalized;
    expect(received.at(-1)).toEqual({
      type: "Results",
      is_final: true,
      from_finalize: true,
      transcript: "The SDK can read this.",
    });
    expect(server.sessions[0]!.headers.authorization).toBe(`Token ${server.apiKey}`);
    expect(server.sessions[0]!.controls).toEqual(["Finalize"]);
    connection.close();
  });
});
