// How elevenlabs.TTS should stream a reply: one `stream-input` socket per reply, or one kept-open
// `multi-stream-input` socket with a context per reply. Measured against the fake ElevenLabs with
// a realistic network and model injected (50 ms round trip: a WebSocket handshake costs three,
// TCP + TLS + upgrade, a message half of one each way; 75 ms from text to first audio, flash
// v2.5's figure), as the time from the first sentence's text being pushed to the reply's first
// audio part, when the stream is opened with that text (an instant LLM) and when it is opened
// 300 ms earlier (the voice loop opens it at the reply's start, while the LLM thinks); per-
// sentence HTTP synthesis on a kept-alive connection for reference. Prints one line.
import { TTS } from "@callwright/elevenlabs";
import type { TtsStreamPart } from "@callwright/spec";
import { type FakeLatency, startFakeElevenLabs } from "../test/fakes/elevenlabs-server.js";
import { median, percentile } from "./_stats.js";

const REPLIES = 20;
const LATENCY: FakeLatency = { rttMs: 50, ttfbMs: 75 };
const LLM_THINKS_MS = 300;
const SENTENCE = "Sure, it is a quarter past three. ";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** First audio after the first sentence is pushed, for a stream opened `openedEarlyMs` before. */
async function reply(tts: TTS, openedEarlyMs: number): Promise<number> {
  const stream = tts.streamText({ signal: new AbortController().signal });
  const parts = stream[Symbol.asyncIterator]();
  if (openedEarlyMs > 0) await sleep(openedEarlyMs);
  const t0 = performance.now();
  stream.push(SENTENCE);
  let first: number | undefined;
  stream.end();
  for (;;) {
    const { value, done } = await parts.next();
    if (done) break;
    if ((value as TtsStreamPart).type === "error") throw (value as { error: Error }).error;
    if ((value as TtsStreamPart).type === "audio") first ??= performance.now() - t0;
  }
  if (first === undefined) throw new Error("no audio");
  return first;
}

async function measure(
  streaming: "multi-context" | "socket-per-reply",
  openedEarlyMs: number,
): Promise<number[]> {
  const fake = await startFakeElevenLabs({ latency: LATENCY });
  const tts = new TTS({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, streaming }, {});
  await reply(tts, openedEarlyMs); // a first reply: the kept-open socket is open from now on
  const out: number[] = [];
  for (let i = 0; i < REPLIES; i++) out.push(await reply(tts, openedEarlyMs));
  await tts.close();
  await fake.close();
  return out;
}

async function http(): Promise<number[]> {
  const fake = await startFakeElevenLabs({ latency: LATENCY });
  const tts = new TTS({ apiKey: fake.apiKey, baseUrl: fake.baseUrl }, {});
  const out: number[] = [];
  for (let i = 0; i < REPLIES + 1; i++) {
    const t0 = performance.now();
    const frames = tts
      .synthesize(SENTENCE.trim(), { signal: new AbortController().signal })
      [Symbol.asyncIterator]();
    await frames.next();
    if (i > 0) out.push(performance.now() - t0); // the first one opened the connection
    while (!(await frames.next()).done) {
      // the rest of the sentence
    }
  }
  await tts.close();
  await fake.close();
  return out;
}

const fmt = (v: number[]) => `${median(v).toFixed(0)}/${percentile(v, 95).toFixed(0)} ms`;

const multiNow = await measure("multi-context", 0);
const perReplyNow = await measure("socket-per-reply", 0);
const multiEarly = await measure("multi-context", LLM_THINKS_MS);
const perReplyEarly = await measure("socket-per-reply", LLM_THINKS_MS);
const sentence = await http();
console.log(
  `tts-streaming: first audio after the first sentence, ${LATENCY.rttMs} ms RTT, ${LATENCY.ttfbMs} ms model, median/p95: ` +
    `opened with the text: multi-context ${fmt(multiNow)}, socket-per-reply ${fmt(perReplyNow)}; ` +
    `opened ${LLM_THINKS_MS} ms before: multi-context ${fmt(multiEarly)}, socket-per-reply ${fmt(perReplyEarly)}; ` +
    `per-sentence HTTP (kept-alive) ${fmt(sentence)}`,
);
