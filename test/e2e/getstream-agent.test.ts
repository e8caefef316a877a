// The seed's agent whole, on Stream's edge: getstream.Edge against FakeStream with the local
// stack (Silero VAD, pocketsphinx STT, the offline responder, flite TTS). A scripted person joins
// the call through Stream's protocol, asks a question aloud, and hears the spoken answer.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as getstream from "@callwright/getstream";
import { FakeStream, ScriptedPerson } from "@callwright/getstream/testing";
import * as local from "@callwright/local";
import { Agent, readWav, resample, User } from "callwright";
import { nextEvent } from "callwright/testing";
import { describe, expect, it } from "vitest";

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
if (skip !== undefined) console.log(`skip: Stream edge spoken turn: ${skip}`);

/**
 * `text` spoken by flite's slt voice, 48 kHz mono, 3 s of silence first (as a person who just
 * joined), 2 s after. Through this path (our Opus at 32 kb/s with FEC, decoded at 16 kHz)
 * pocketsphinx heard kal16's "seven" as "so that" or "so but" in every run, with a 1.5 s lead
 * "twelve" as "dwell" too; slt's is heard right. The audio itself arrives whole (no packet lost,
 * and pocketsphinx_continuous reads a recording of it right): the live recogniser is marginal on
 * that word, not the edge.
 */
function question(text: string): Int16Array {
  const file = join(mkdtempSync(join(tmpdir(), "callwright-stream-")), "question.wav");
  execFileSync("flite", ["-voice", "slt", "-t", text, "-o", file]);
  const wav = readWav(readFileSync(file));
  const speech = resample(wav, 48000).samples;
  const out = new Int16Array(speech.length + 48000 * 5);
  out.set(speech, 48000 * 3);
  return out;
}

describe.skipIf(skip !== undefined)("the seed's agent on getstream.Edge (FakeStream)", () => {
  it("a person in a Stream call asks aloud and hears the agent's spoken answer", async () => {
    const fake = await FakeStream.start();
    const agent = new Agent({
      edge: new getstream.Edge({ env: fake.env, bindAddress: "127.0.0.1" }),
      agentUser: new User({ name: "Assistant", id: "agent" }),
      instructions: "You're a helpful voice assistant.",
      llm: new local.OfflineLLM(),
      stt: new local.STT(),
      tts: new local.TTS(),
      vad: new local.VAD(),
      tools: [local.currentTimeTool],
    });
    let person: ScriptedPerson | undefined;
    try {
      await agent.warmup();
      await agent.join(await agent.createCall("default", "seed-turn"));
      person = await ScriptedPerson.join({
        baseUrl: fake.baseUrl,
        apiKey: fake.apiKey,
        apiSecret: fake.apiSecret,
        callType: "default",
        callId: "seed-turn",
        userId: "ada",
        name: "Ada",
      });
      await person.publishing();
      const userSaid = nextEvent(agent, "transcript", (t) => t.role === "user" && t.final, {
        timeoutMs: 20_000,
      });
      const turnDone = nextEvent(agent, "metrics", () => true, { timeoutMs: 25_000 });
      const asked = performance.now();
      await person.speak(question("What is twelve times seven?"));
      const [heard] = await userSaid;
      expect(heard.text).toMatch(/times/);
      const [turn] = await turnDone;
      expect(turn.e2eMs).toBeGreaterThan(0);
      await nextEvent(agent, "agent_state", (s) => s === "listening", { timeoutMs: 20_000 });

      // What the person heard from the agent: about two seconds of speech ("12 times 7 is 84.").
      const answer = person.heard.filter((h) => h.userId === "agent" && h.atMs > asked);
      const loud = answer.filter((h) => rms(h.pcm) > 0.01);
      const loudSeconds = loud.reduce((s, h) => s + h.pcm.length, 0) / 48000;
      expect(loudSeconds).toBeGreaterThan(0.8);
      expect(loudSeconds).toBeLessThan(6);
      expect(person.heardRms({ userId: "agent", sinceMs: asked })).toBeGreaterThan(0.01);
      const said = agent.history.filter((m) => m.role === "assistant").map((m) => m.content);
      expect(said.join(" ")).toMatch(/84/);
      // The transcripts reached the call as Stream custom events (what a Stream UI would show).
      // (sent by REST as they happen: the last may still be on its way).
      const transcripts = () =>
        fake.customEvents
          .map((e) => e.custom)
          .filter((c) => c.type === "transcript")
          .map((t) => `${t.role}: ${t.text}`);
      await expect
        .poll(transcripts, { timeout: 5000 })
        .toContainEqual(expect.stringMatching(/^user: .*times/));
      await expect.poll(transcripts, { timeout: 5000 }).toContainEqual(expect.stringMatching(/^agent: .*84/));
    } finally {
      person?.leave();
      await agent.close();
      await fake.close();
    }
  }, 60_000);
});

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += (s / 32768) ** 2;
  return pcm.length === 0 ? 0 : Math.sqrt(sum / pcm.length);
}
