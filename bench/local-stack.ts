// The zero-account speech stack on this machine: Silero VAD per frame, pocketsphinx final after
// the flush (speech fed in real time), the STT pool's memory with 1 and 20 sessions, flite and
// festival time to first audio, and voice to voice through the whole loop (local VAD, STT, TTS
// and the offline responder on a FakeEdge) for a ≈3 s question. Speech is made with flite now.
// Takes about half a minute. Prints one line.

import * as local from "@callwright/local";
import { Agent, audioFrame, resample, type SttPart } from "callwright";
import { concat, FakeEdge, nextEvent, silence } from "callwright/testing";
import {
  fliteSpeech,
  padded,
  type Speech,
  sentences,
  wordErrors,
} from "../packages/local/test-fixtures/speech.js";
import { percentile } from "./_stats.js";

const FRAME = 512;
const V2V_TURNS = 3;
const QUESTION = "Can you tell me how long the flight to London takes?";

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const frame16k = (samples: Int16Array, at: number) => audioFrame(samples.subarray(at, at + FRAME), 16000);

/** ms per 32 ms frame over a padded recording, several passes, each call timed. */
async function vadPerFrame(
  recording: Int16Array,
): Promise<{ p50: number; mean: number; p95: number; sync: boolean }> {
  const vad = new local.VAD();
  await vad.warmup();
  const times: number[] = [];
  let sync = true;
  for (let pass = 0; pass < 5; pass++) {
    const stream = vad.createStream();
    for (let i = 0; i + FRAME <= recording.length; i += FRAME) {
      const t = performance.now();
      const p = stream.process(recording.subarray(i, i + FRAME));
      if (typeof p !== "number") {
        sync = false;
        await p;
      }
      times.push(performance.now() - t);
    }
    stream.close();
  }
  await vad.close();
  return { p50: percentile(times, 50), mean: mean(times), p95: percentile(times, 95), sync };
}

/** Reads parts until the final answering a flush. */
async function nextFinal(parts: AsyncIterator<SttPart>): Promise<string> {
  for (;;) {
    const { value, done } = await parts.next();
    if (done) throw new Error("STT stream ended without a final");
    if (value.type === "error") throw value.error;
    if (value.type === "final" && value.segmentEnd) return value.text;
  }
}

/** RSS with 1 session, then with 20 sessions at once, each its own STT streaming one utterance. */
async function sttMemory(
  speech: Speech[],
): Promise<{ one: number; twenty: number; base: number; decoders: number }> {
  const base = rssMb();
  const run = async (sessions: number) => {
    const stts = Array.from({ length: sessions }, () => new local.STT());
    await Promise.all(
      stts.map(async (stt, i) => {
        const stream = stt.stream({ signal: new AbortController().signal });
        const parts = stream[Symbol.asyncIterator]();
        const { samples } = speech[i % speech.length]!;
        for (let at = 0; at < samples.length; at += FRAME) stream.push(frame16k(samples, at));
        stream.flush();
        await nextFinal(parts);
        stream.end();
      }),
    );
    const decoders = stts[0]!.poolStats().loaded;
    await Promise.all(stts.map((s) => s.close()));
    return decoders;
  };
  await run(1);
  const one = rssMb();
  const decoders = await run(20);
  return { base, one, twenty: rssMb(), decoders };
}

/** Two sessions side by side, fed in real time: ms from flush to final, and word errors. */
async function sttRealtime(bySession: Speech[][]): Promise<{ afterFlush: number[]; wer: number }> {
  const stt = new local.STT();
  await stt.warmup();
  const afterFlush: number[] = [];
  let errors = 0;
  let words = 0;
  await Promise.all(
    bySession.map(async (utterances) => {
      const stream = stt.stream({ signal: new AbortController().signal });
      const parts = stream[Symbol.asyncIterator]();
      for (const u of utterances) {
        const start = performance.now();
        for (let at = 0, n = 0; at < u.samples.length; at += FRAME, n++) {
          const wait = start + (n * FRAME) / 16 - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          stream.push(frame16k(u.samples, at));
        }
        const flushedAt = performance.now();
        stream.flush();
        const text = await nextFinal(parts);
        afterFlush.push(performance.now() - flushedAt);
        const e = wordErrors(u.text, text);
        errors += e.errors;
        words += e.words;
      }
      stream.end();
    }),
  );
  await stt.close();
  return { afterFlush, wer: errors / words };
}

/** ms from `synthesize` to its first frame, median of 5 (after one warm-up run). */
async function ttsFirstAudio(tts: local.TTS): Promise<number> {
  const text = "The flight to London takes about an hour and a half from Paris.";
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const start = performance.now();
    const frames = tts.synthesize(text, { signal: new AbortController().signal })[Symbol.asyncIterator]();
    await frames.next();
    if (run > 0) times.push(performance.now() - start);
    await frames.return?.(undefined);
  }
  return percentile(times, 50);
}

/** The whole loop: the user's last voiced frame → the agent's first audio frame to the edge. */
async function voiceToVoice(question: Speech): Promise<{ e2e: number[]; stt: number[]; trailing: number[] }> {
  const rate = 48000;
  const input = concat(
    silence({ durationMs: 500, sampleRateHz: rate }),
    resample(audioFrame(question.samples, 16000), rate),
    silence({ durationMs: 2500, sampleRateHz: rate }),
  );
  const edge = new FakeEdge({ outputSampleRateHz: rate });
  const vad = new local.VAD();
  const stt = new local.STT();
  const tts = new local.TTS();
  await Promise.all([vad.warmup(), stt.warmup(), tts.warmup()]);
  const agent = new Agent({
    edge,
    vad,
    stt,
    tts,
    llm: new local.OfflineLLM(),
    tools: [local.currentTimeTool],
  });
  await agent.join(await agent.createCall("bench", "local-stack"));
  const e2e: number[] = [];
  const sttMs: number[] = [];
  const trailing: number[] = [];
  for (let turn = 0; turn < V2V_TURNS; turn++) {
    const metrics = nextEvent(agent, "metrics", () => true, { timeoutMs: 20_000 });
    await edge.connection.feedAudioRealtime("user", input);
    const [breakdown] = await metrics;
    await nextEvent(agent, "agent_state", (s) => s === "listening", { timeoutMs: 20_000 });
    if (breakdown.e2eMs === null) throw new Error("a turn without voice-to-voice latency");
    e2e.push(breakdown.e2eMs);
    if (breakdown.sttMs !== null) sttMs.push(breakdown.sttMs);
    if (breakdown.trailingSilenceMs !== null) trailing.push(breakdown.trailingSilenceMs);
  }
  await agent.close();
  return { e2e, stt: sttMs, trailing };
}

async function main(): Promise<void> {
  const kal16 = await Promise.all(sentences.map((s) => fliteSpeech(s, "kal16")));
  const slt = await Promise.all(sentences.map((s) => fliteSpeech(s, "slt")));
  const vad = await vadPerFrame(padded(slt, 1000).samples);
  const memory = await sttMemory(kal16);
  const realtime = await sttRealtime([kal16, slt]);
  const firstAudio = {
    kal16: await ttsFirstAudio(new local.TTS()),
    slt: await ttsFirstAudio(new local.TTS({ voice: "slt" })),
    festival: await ttsFirstAudio(new local.TTS({ engine: "festival" })),
  };
  const v2v = await voiceToVoice(await fliteSpeech(QUESTION, "kal16"));
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  console.log(
    [
      `local-stack: VAD ${vad.mean.toFixed(3)} ms/frame mean, p50 ${vad.p50.toFixed(3)}, p95 ${vad.p95.toFixed(3)} (${vad.sync ? "sync" : "async"}; target ≤ 0.2)`,
      `STT final after flush p50 ${ms(percentile(realtime.afterFlush, 50))}, max ${ms(Math.max(...realtime.afterFlush))} (2 sessions in real time, WER ${(realtime.wer * 100).toFixed(1)} %; target ≤ 300 ms)`,
      `STT RSS +${(memory.one - memory.base).toFixed(0)} MB with 1 session, +${(memory.twenty - memory.base).toFixed(0)} MB with 20 (${memory.decoders} decoders)`,
      `TTS first audio kal16 ${ms(firstAudio.kal16)}, slt ${ms(firstAudio.slt)}, festival ${ms(firstAudio.festival)}`,
      `v2v p50 ${ms(percentile(v2v.e2e, 50))}, max ${ms(Math.max(...v2v.e2e))} (${V2V_TURNS} turns of a ${kal16.length && QUESTION.split(" ").length}-word question; of which trailing silence p50 ${ms(percentile(v2v.trailing, 50))}, STT from last voiced frame p50 ${ms(percentile(v2v.stt, 50))}; target ≤ 800 ms)`,
    ].join("; "),
  );
}

await main();
