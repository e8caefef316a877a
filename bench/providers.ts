// Provider plugins' own overhead: from the moment a fake server writes the first byte of a piece
// of the answer (an SSE event, a PCM chunk) to the moment the plugin yields the part made of it
// (a text delta, an interim transcript, an audio frame), p50/p95 over many answers. The request
// and its headers are done before the clock starts; what is timed is loopback delivery, the HTTP
// body stream, and the plugin's decoding ("fetch alone" is the same delivery with no plugin: the
// floor). Each answer is read to its end, so its connection serves the next one, as between
// turns. Each fake answers at once. Prints one line; target p95 ≤ 1 ms per plugin.
//
// A case is a server `answer(res, stamp)` that stamps the time right before the timed piece, and
// a client `run(baseUrl, mark)` that marks the part made of it. The WebSocket plugins (Deepgram,
// ElevenLabs) are measured the same way in bench/providers-ws.ts.
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as gemini from "@callwright/gemini";
import * as openai from "@callwright/openai";
import { audioFrame } from "callwright";
import { percentile } from "./_stats.js";

const ROUNDS = 300;
const WARMUP = 40;

interface Case {
  name: string;
  /** Writes the answer's body; calls `stamp()` right before the first byte of the timed piece. */
  answer(res: ServerResponse, stamp: () => void, path: string): Promise<void>;
  /** Makes the request against `baseUrl`, calls `mark()` at the timed part, and reads the answer to its end. */
  run(baseUrl: string, mark: () => void): Promise<void>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const geminiChunk = (text: string, finishReason?: string) =>
  `data: ${JSON.stringify({
    candidates: [
      { content: { parts: [{ text }], role: "model" }, index: 0, ...(finishReason ? { finishReason } : {}) },
    ],
    usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 3, totalTokenCount: 12 },
    modelVersion: "gemini-2.5-flash",
  })}\r\n\r\n`;

const openaiChunk = (content: string | null, finish: string | null) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  })}\n\n`;

const ask = { messages: [{ role: "user" as const, content: "hi" }] };

const CASES: Case[] = [
  {
    // The floor: the same delivery with no plugin (fetch, then the body's first chunk).
    name: "fetch alone",
    async answer(res, stamp) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      await pause(2);
      stamp();
      res.write(geminiChunk("Hello"));
      await pause(1);
      res.end(geminiChunk("", "STOP"));
    },
    async run(baseUrl, mark) {
      const response = await fetch(`${baseUrl}/raw`, { method: "POST", body: "{}" });
      const reader = response.body!.getReader();
      await reader.read();
      mark();
      while (!(await reader.read()).done) {
        // to the end, so the connection serves the next answer
      }
    },
  },
  {
    name: "gemini.LLM",
    async answer(res, stamp) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      await pause(2);
      stamp();
      res.write(geminiChunk("Hello"));
      await pause(1);
      res.end(geminiChunk("", "STOP"));
    },
    async run(baseUrl, mark) {
      const llm = new gemini.LLM({ baseUrl, apiKey: "bench" }, {});
      for await (const part of llm.stream(ask, { signal: new AbortController().signal })) {
        if (part.type === "text_delta") mark();
      }
    },
  },
  {
    name: "openai.LLM",
    async answer(res, stamp) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      await pause(2);
      stamp();
      res.write(openaiChunk("Hello", null));
      await pause(1);
      res.end(`${openaiChunk(null, "stop")}data: [DONE]\n\n`);
    },
    async run(baseUrl, mark) {
      const llm = new openai.LLM({ baseUrl: `${baseUrl}/v1` }, {});
      for await (const part of llm.stream(ask, { signal: new AbortController().signal })) {
        if (part.type === "text_delta") mark();
      }
    },
  },
  {
    name: "openai.STT",
    async answer(res, stamp) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      await pause(2);
      stamp();
      res.write(`data: ${JSON.stringify({ type: "transcript.text.delta", delta: "Hello" })}\n\n`);
      await pause(1);
      res.end(`data: ${JSON.stringify({ type: "transcript.text.done", text: "Hello" })}\n\n`);
    },
    async run(baseUrl, mark) {
      const stream = new openai.STT({ baseUrl: `${baseUrl}/v1` }, {}).stream({
        signal: new AbortController().signal,
      });
      stream.push(audioFrame(new Int16Array(3_200), 16_000));
      stream.flush();
      stream.end();
      for await (const part of stream) if (part.type === "interim") mark();
    },
  },
  {
    name: "openai.TTS",
    async answer(res, stamp) {
      res.writeHead(200, { "content-type": "audio/pcm" });
      res.flushHeaders();
      await pause(2);
      stamp();
      res.write(Buffer.alloc(4_800)); // 100 ms of 24 kHz PCM
      await pause(1);
      res.end(Buffer.alloc(4_800));
    },
    async run(baseUrl, mark) {
      const tts = new openai.TTS({ baseUrl: `${baseUrl}/v1` }, {});
      let first = true;
      for await (const _frame of tts.synthesize("Hello.", { signal: new AbortController().signal })) {
        if (first) mark();
        first = false;
      }
    },
  },
  // Deepgram (deepgram.STT) and ElevenLabs (elevenlabs.TTS): their cases go here.
];

async function measure(c: Case): Promise<number[]> {
  let stampedAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      void c.answer(
        res,
        () => {
          stampedAt = performance.now();
        },
        req.url ?? "/",
      );
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      let ms = Number.NaN;
      await c.run(baseUrl, () => {
        if (Number.isNaN(ms)) ms = performance.now() - stampedAt;
      });
      if (Number.isNaN(ms)) throw new Error(`${c.name}: no part came`);
      if (i >= WARMUP) samples.push(ms);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return samples;
}

const results: string[] = [];
for (const c of CASES) {
  const samples = await measure(c);
  results.push(
    `${c.name} p50 ${percentile(samples, 50).toFixed(2)} ms, p95 ${percentile(samples, 95).toFixed(2)} ms`,
  );
}
console.log(
  `providers: fake's first byte → the plugin's part (text delta, interim, audio frame), ${ROUNDS} answers each: ${results.join("; ")} (target p95 ≤ 1 ms each)`,
);
