// A whole turn through the core's voice loop with the real local components (Silero VAD,
// pocketsphinx STT, the offline responder with its clock tool, flite TTS) on FakeEdge: a spoken
// question in, a spoken answer out, written as a WAV and checked for sound and length.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as local from "@callwright/local";
import { Agent, audioFrame, frameRms, readWav, resample, writeWav } from "callwright";
import { concat, FakeEdge, nextEvent, silence } from "callwright/testing";
import { describe, expect, it } from "vitest";
import { fliteSpeech } from "../test-fixtures/speech.js";

function missing(): string | undefined {
  for (const tool of ["flite", "pocketsphinx_continuous"]) {
    try {
      execFileSync("which", [tool], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (bash scripts/setup.sh)`;
    }
  }
  return undefined;
}
const skip = missing();
if (skip !== undefined) console.log(`skip: local stack turn: ${skip}`);

describe.skipIf(skip !== undefined)("the local stack in the voice loop", () => {
  it("answers a spoken arithmetic question with a spoken answer", async () => {
    const rate = 48000;
    const question = await fliteSpeech("What is twelve times seven?", "kal16");
    const input = concat(
      silence({ durationMs: 500, sampleRateHz: rate }),
      resample(audioFrame(question.samples, 16000), rate),
      silence({ durationMs: 2000, sampleRateHz: rate }),
    );
    const edge = new FakeEdge({ outputSampleRateHz: rate });
    const agent = new Agent({
      edge,
      vad: new local.VAD(),
      stt: new local.STT(),
      tts: new local.TTS(),
      llm: new local.OfflineLLM(),
      tools: [local.currentTimeTool],
    });
    await agent.warmup();
    try {
      await agent.join(await agent.createCall("default", "local-stack-turn"));
      const userSaid = nextEvent(agent, "transcript", (t) => t.role === "user" && t.final, {
        timeoutMs: 15_000,
      });
      const turnDone = nextEvent(agent, "metrics", () => true, { timeoutMs: 20_000 });
      await edge.connection.feedAudioRealtime("user", input);
      const [heard] = await userSaid;
      expect(heard.text).toMatch(/times/);
      const [turn] = await turnDone;
      expect(turn.e2eMs).toBeGreaterThan(0);
      await nextEvent(agent, "agent_state", (s) => s === "listening", { timeoutMs: 20_000 });

      // The reply as a WAV file, as a person would listen to it.
      const file = join(mkdtempSync(join(tmpdir(), "callwright-turn-")), "answer.wav");
      writeFileSync(file, writeWav(concat(...edge.connection.played)));
      const answer = readWav(readFileSync(file));
      const seconds = answer.samples.length / answer.sampleRateHz;
      // "12 times 7 is 84." spoken by flite kal16: about two seconds.
      expect(seconds).toBeGreaterThan(1);
      expect(seconds).toBeLessThan(5);
      expect(frameRms(answer)).toBeGreaterThan(0.01);
      const said = agent.history.filter((m) => m.role === "assistant").map((m) => m.content);
      expect(said.join(" ")).toMatch(/84/);
    } finally {
      await agent.close();
    }
  }, 40_000);
});
