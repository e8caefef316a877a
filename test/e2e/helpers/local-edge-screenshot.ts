// Takes docs/demo-page.png: the demo page in headless Chromium, mid-conversation with a scripted
// test agent (real WebRTC: the agent's voice is flite speech sent through the edge).
//   NODE_OPTIONS=--conditions=source npx tsx test/e2e/helpers/local-edge-screenshot.ts [out.png]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AudioFrame, audioFrame } from "callwright";
import { joinAsAgent, launchChromium, playFrames, speechWav, startHarness } from "./local-edge-harness.js";

const out = process.argv[2] ?? "docs/demo-page.png";

/** flite speech as 20 ms frames at 16 kHz (an Opus rate the edge takes as is). */
function fliteFrames(text: string): AudioFrame[] {
  const file = join(tmpdir(), `callwright-shot-${Date.now()}.wav`);
  execFileSync("flite", ["-voice", "slt", "-t", text, "-o", file]);
  const wav = readFileSync(file);
  const dataAt = wav.indexOf("data") + 8;
  const pcm = new Int16Array(
    wav.buffer.slice(wav.byteOffset + dataAt, wav.byteOffset + wav.length - ((wav.length - dataAt) % 2)),
  );
  const frames: AudioFrame[] = [];
  for (let i = 0; i + 320 <= pcm.length; i += 320) frames.push(audioFrame(pcm.slice(i, i + 320), 16000));
  return frames;
}

const h = await startHarness();
const browser = await launchChromium(
  speechWav("Hello there. What is the weather like in Paris today?", "local-edge-mic"),
);
try {
  const agent = await joinAsAgent(h.edge, "demo-call");
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await page.goto(`${h.baseUrl}/?call_id=demo-call&autostart=1`);
  await page.waitForFunction(
    () => (window as unknown as { callwright: { connection: string } }).callwright.connection === "connected",
  );
  const me = await page.evaluate(
    () => (window as unknown as { callwright: { participantId: string } }).callwright.participantId,
  );
  const say = (role: "user" | "agent", text: string, turnId: number, final = true) =>
    agent.sendEvent({
      type: "transcript",
      role,
      text,
      final,
      turnId,
      ...(role === "user" ? { participantId: me } : {}),
    });
  agent.sendEvent({
    type: "info",
    agentName: "Assistant",
    llm: "offline responder",
    stt: "pocketsphinx en-us",
    tts: "flite slt",
    vad: "silero v5",
  });
  agent.sendEvent({ type: "agent_state", state: "listening" });
  say("user", "hi what time is it", 1);
  say("agent", "Hi! It's twenty past nine in the morning.", 1);
  say("user", "what is twelve times seven", 2);
  say("agent", "Twelve times seven is eighty-four.", 2);
  agent.sendEvent({
    type: "turn_metrics",
    turnId: 2,
    trailingSilenceMs: 510,
    sttMs: 142,
    llmFirstTokenMs: 38,
    ttsFirstAudioMs: 96,
    e2eMs: 312,
    frameworkMs: 36,
  });
  say("user", "and what about the weather in", 3, false);
  agent.sendEvent({ type: "agent_state", state: "agent_speaking" });
  const speech = playFrames(
    agent,
    fliteFrames("Twelve times seven is eighty-four. Anything else I can help with?"),
  );
  await new Promise((r) => setTimeout(r, 1200));
  await page.screenshot({ path: out });
  await speech;
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await h.close();
}
