// The provider plugins' own overhead, against fakes that answer at once: from the fake's message
// leaving it to the plugin's part reaching the caller (a Deepgram transcript part; an
// ElevenLabs audio part, streamed and over HTTP), p95 over a few hundred, next to what a bare
// `ws` client needs for the same message (the floor on this machine); and the first audio of a
// reply through ElevenLabs' streamed input against per-sentence HTTP synthesis, with the LLM
// writing at a steady pace. Prints one line.
import { STT } from "@callwright/deepgram";
import { TTS } from "@callwright/elevenlabs";
import type { SttPart, TtsStreamPart } from "@callwright/spec";
import WebSocket from "ws";
import { startFakeDeepgram } from "../test/fakes/deepgram-server.js";
import { startFakeElevenLabs, synthesizeChars } from "../test/fakes/elevenlabs-server.js";
import { median, percentile } from "./_stats.js";

const MESSAGES = 400;
const WARMUP = 50;
const REPLIES = 30;

/** Waits for the next item of an async iterator that matches. */
async function nextMatching<T>(iterator: AsyncIterator<T>, match: (item: T) => boolean): Promise<T> {
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) throw new Error("the stream ended");
    if (match(value)) return value;
  }
}

/** A bare `ws` client: the floor under a plugin (what receiving the same message costs anyway). */
async function bareClient(url: string, headers: Record<string, string>, first?: string) {
  const ws = new WebSocket(url, { headers });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  if (first !== undefined) ws.send(first);
  return {
    next: () => new Promise<number>((resolve) => ws.once("message", () => resolve(performance.now()))),
    close: () => ws.close(),
  };
}

/**
 * Alternates a plugin's sample and the bare client's for the same message, so both see the same
 * machine load; returns each one's times, warm-up dropped.
 */
async function interleaved(
  pluginSample: (i: number) => Promise<number>,
  floorSample: (i: number) => Promise<number>,
): Promise<{ plugin: number[]; floor: number[] }> {
  const plugin: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < MESSAGES + WARMUP; i++) {
    const p = await pluginSample(i);
    const f = await floorSample(i);
    if (i < WARMUP) continue;
    plugin.push(p);
    floor.push(f);
  }
  return { plugin, floor };
}

function results(text: string) {
  return {
    type: "Results",
    channel_index: [0, 1],
    duration: 0.1,
    start: 0,
    is_final: false,
    speech_final: false,
    from_finalize: false,
    channel: { alternatives: [{ transcript: text, confidence: 0.9, words: [] }] },
    metadata: {
      request_id: "bench",
      model_info: { name: "general-nova-3", version: "x", arch: "nova-3" },
      model_uuid: "x",
    },
  };
}

async function deepgramOverhead(): Promise<{ plugin: number[]; floor: number[] }> {
  const fake = await startFakeDeepgram();
  const stt = new STT({ apiKey: fake.apiKey, baseUrl: fake.baseUrl }, {});
  const stream = stt.stream({ signal: new AbortController().signal });
  const parts = stream[Symbol.asyncIterator]();
  const session = await fake.waitForSessions(1);
  const bare = await bareClient(
    `${fake.baseUrl.replace("http", "ws")}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000`,
    { authorization: `Token ${fake.apiKey}` },
  );
  const bareSession = await fake.waitForSessions(2);
  const out = await interleaved(
    async (i) => {
      const t0 = performance.now();
      session.socket.sendJson(results(`word ${i}`));
      await nextMatching<SttPart>(parts, (p) => p.type === "interim" && p.text === `word ${i}`);
      return performance.now() - t0;
    },
    async (i) => {
      const got = bare.next();
      const t0 = performance.now();
      bareSession.socket.sendJson(results(`word ${i}`));
      return (await got) - t0;
    },
  );
  bare.close();
  stream.end();
  await stt.close();
  await fake.close();
  return out;
}

/** 20 ms of tone at 24 kHz with a one-character alignment, as an ElevenLabs audio message. */
function audioMessage(contextId: string, i: number) {
  const { samples } = synthesizeChars("a", 24000, { msPerChar: 20, msPerSpace: 20 });
  return {
    audio: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString("base64"),
    alignment: { chars: [" a"[i % 2]!], charStartTimesMs: [0], charsDurationsMs: [20] },
    contextId,
  };
}

async function elevenLabsOverhead(): Promise<{
  plugin: number[];
  floor: number[];
  http: number[];
  httpFloor: number[];
}> {
  const fake = await startFakeElevenLabs();
  const tts = new TTS({ apiKey: fake.apiKey, baseUrl: fake.baseUrl }, {});
  const stream = tts.streamText({ signal: new AbortController().signal });
  const parts = stream[Symbol.asyncIterator]();
  const connection = await fake.waitForConnections(1);
  while (connection.contexts.size === 0) await new Promise((r) => setTimeout(r, 5));
  const contextId = [...connection.contexts.keys()][0]!;
  const bare = await bareClient(
    `${fake.baseUrl.replace("http", "ws")}/v1/text-to-speech/VR6AewLTigWG4xSOukaG/multi-stream-input?model_id=eleven_flash_v2_5&output_format=pcm_24000`,
    { "xi-api-key": fake.apiKey },
    JSON.stringify({ text: " ", context_id: "floor" }),
  );
  const bareConnection = await fake.waitForConnections(2);
  const streamed = await interleaved(
    async (i) => {
      const t0 = performance.now();
      connection.socket.sendJson(audioMessage(contextId, i));
      await nextMatching<TtsStreamPart>(parts, (p) => p.type === "audio");
      return performance.now() - t0;
    },
    async (i) => {
      const got = bare.next();
      const t0 = performance.now();
      bareConnection.socket.sendJson(audioMessage("floor", i));
      return (await got) - t0;
    },
  );
  bare.close();
  await tts.close();
  // HTTP: from the fake's first audio byte to the first frame out of synthesize(), against a bare
  // fetch of the same request reading its first chunk.
  const httpTts = new TTS({ apiKey: fake.apiKey, baseUrl: fake.baseUrl }, {});
  const url = `${fake.baseUrl}/v1/text-to-speech/VR6AewLTigWG4xSOukaG/stream?output_format=pcm_24000`;
  const body = JSON.stringify({ text: "Hi.", model_id: "eleven_flash_v2_5" });
  const http = await interleaved(
    async () => {
      const frames = httpTts
        .synthesize("Hi.", { signal: new AbortController().signal })
        [Symbol.asyncIterator]();
      await frames.next();
      const t1 = performance.now();
      await frames.return?.();
      return t1 - fake.httpFirstByteAtMs.at(-1)!;
    },
    async () => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "xi-api-key": fake.apiKey, "content-type": "application/json" },
        body,
      });
      const reader = response.body!.getReader();
      await reader.read();
      const t1 = performance.now();
      await reader.cancel();
      return t1 - fake.httpFirstByteAtMs.at(-1)!;
    },
  );
  await httpTts.close();
  await fake.close();
  return { ...streamed, http: http.plugin, httpFloor: http.floor };
}

const REPLY =
  "Sure, it is a quarter past three in the afternoon. Is there anything else I can help with today?";

/** The reply as an LLM writes it: a token (a word) every `everyMs`. */
async function* tokens(everyMs: number): AsyncGenerator<string> {
  const words = REPLY.split(" ");
  for (let i = 0; i < words.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, everyMs));
    yield i === words.length - 1 ? words[i]! : `${words[i]} `;
  }
}

/** First audio of a reply, from the LLM's first token: streamed input (a warm multi-context socket) against per-sentence HTTP. */
async function streamVsSentence(): Promise<{ stream: number[]; sentence: number[] }> {
  const fake = await startFakeElevenLabs();
  const tts = new TTS({ apiKey: fake.apiKey, baseUrl: fake.baseUrl }, {});
  const stream: number[] = [];
  const sentence: number[] = [];
  for (let r = 0; r < REPLIES + 3; r++) {
    // Streamed: opened at the reply's start, words pushed as they come.
    const reply = tts.streamText({ signal: new AbortController().signal });
    const parts = reply[Symbol.asyncIterator]();
    const t0 = performance.now();
    const writing = (async () => {
      for await (const token of tokens(20)) reply.push(token);
      reply.end();
    })();
    await nextMatching<TtsStreamPart>(parts, (p) => p.type === "audio");
    if (r >= 3) stream.push(performance.now() - t0);
    await writing;
    while (!(await parts.next()).done) {
      // the rest of the reply
    }
    // Per sentence: the first sentence, once complete, synthesized over HTTP.
    const s0 = performance.now();
    let text = "";
    for await (const token of tokens(20)) {
      text += token;
      if (/[.!?]\s$/.test(text)) break;
    }
    const frames = tts
      .synthesize(text.trim(), { signal: new AbortController().signal })
      [Symbol.asyncIterator]();
    await frames.next();
    if (r >= 3) sentence.push(performance.now() - s0);
    await frames.return?.();
  }
  await tts.close();
  await fake.close();
  return { stream, sentence };
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

async function main(): Promise<void> {
  const dg = await deepgramOverhead();
  const el = await elevenLabsOverhead();
  const first = await streamVsSentence();
  console.log(
    `providers: fake's message → our part, p95 (a bare client's p95 for the same message): deepgram transcript ${ms(percentile(dg.plugin, 95))} (ws ${ms(percentile(dg.floor, 95))}), ` +
      `elevenlabs streamed audio ${ms(percentile(el.plugin, 95))} (ws ${ms(percentile(el.floor, 95))}), elevenlabs HTTP first frame ${ms(percentile(el.http, 95))} (fetch ${ms(percentile(el.httpFloor, 95))}; medians ${ms(median(el.http))}, ${ms(median(el.httpFloor))}); ` +
      `first audio from the LLM's first token (a word every 20 ms), median/p95: stream-input ${median(first.stream).toFixed(0)}/${percentile(first.stream, 95).toFixed(0)} ms, ` +
      `per-sentence HTTP ${median(first.sentence).toFixed(0)}/${percentile(first.sentence, 95).toFixed(0)} ms`,
  );
}

await main();
