// The framework's own latency in a turn: from the end of the user's turn being decided (after
// the endpointing delay) to the agent's first audio frame handed to the edge, with providers
// that answer instantly, so what is left is ours (LLM loop, sentence split, TTS wrapper,
// resampling, framing, pacing). Feeds a recorded utterance (flite, made now; a synthetic voice
// if flite is missing) through the whole loop 50 times. Prints one line.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, type AudioFrame, readWav, resample } from "callwright";
import {
  concat,
  FakeEdge,
  FakeLLM,
  FakeSTT,
  FakeTTS,
  nextEvent,
  silence,
  speechLike,
} from "callwright/testing";
import { percentile } from "./_stats.js";

const TURNS = 50;
const WARMUP_TURNS = 5;
const RATE = 48000;
const TEXT = "What is the weather like in Paris today?";

function utterance(): { audio: AudioFrame; source: string } {
  if (existsSync("/usr/bin/flite")) {
    const dir = mkdtempSync(join(tmpdir(), "cw-bench-"));
    try {
      const path = join(dir, "utterance.wav");
      execFileSync("flite", ["-voice", "kal16", "-t", TEXT, "-o", path]);
      return { audio: resample(readWav(readFileSync(path)), RATE), source: "flite kal16" };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { audio: speechLike({ durationMs: 2000, sampleRateHz: RATE }), source: "synthetic voice" };
}

async function main(): Promise<void> {
  const { audio, source } = utterance();
  const input = concat(
    silence({ durationMs: 300, sampleRateHz: RATE }),
    audio,
    silence({ durationMs: 700, sampleRateHz: RATE }),
  );
  const edge = new FakeEdge({ outputSampleRateHz: RATE });
  const agent = new Agent({
    edge,
    llm: new FakeLLM({ respond: () => "Sure, it is sunny." }),
    stt: new FakeSTT({ transcribe: () => TEXT.toLowerCase() }),
    tts: new FakeTTS({ msPerChar: 1, outputSampleRateHz: 24000 }),
  });
  await agent.join(await agent.createCall("bench", "turn-latency"));
  const conn = edge.connection;
  const samples: number[] = [];
  for (let turn = 0; turn < WARMUP_TURNS + TURNS; turn++) {
    const metrics = nextEvent(agent, "metrics", () => true, { timeoutMs: 10_000 });
    const listening = nextEvent(agent, "agent_state", (s) => s === "listening", { timeoutMs: 10_000 });
    conn.feedAudio("user", input);
    const [breakdown] = await metrics;
    await listening;
    if (turn < WARMUP_TURNS) continue;
    if (breakdown.e2eMs === null || breakdown.trailingSilenceMs === null)
      throw new Error("turn without e2e latency");
    // e2e − trailing silence = first audio frame out − end of turn decided.
    samples.push(breakdown.e2eMs - breakdown.trailingSilenceMs);
  }
  await agent.close();
  samples.sort((a, b) => a - b);
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log(
    `turn-latency: end of turn → first audio frame out (framework only, instant fake providers, ${TURNS} turns of a ${source} utterance): p50 ${f(percentile(samples, 50))}, p95 ${f(percentile(samples, 95))}, max ${f(samples.at(-1)!)} (target p95 ≤ 5 ms)`,
  );
}

await main();
