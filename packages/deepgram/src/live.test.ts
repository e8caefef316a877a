// Runs against the real Deepgram only when DEEPGRAM_API_KEY is set (DEEPGRAM_BASE_URL is honoured
// too). Speech comes from flite, so what is said is known.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AudioFrame, audioFrame, readWav, resample, type SttPart } from "callwright";
import { describe, expect, it } from "vitest";
import { STT } from "./stt.js";

const key = process.env.DEEPGRAM_API_KEY?.trim();
const flite = existsSync("/usr/bin/flite");
if (!key)
  console.log(
    "skip: @callwright/deepgram live tests need DEEPGRAM_API_KEY (they call the real Deepgram API)",
  );
else if (!flite) console.log("skip: @callwright/deepgram live tests need flite to say something");

function say(text: string): AudioFrame {
  const dir = mkdtempSync(join(tmpdir(), "cw-dg-live-"));
  try {
    const path = join(dir, "say.wav");
    execFileSync("flite", ["-voice", "slt", "-t", text, "-o", path]);
    return resample(readWav(readFileSync(path)), 16000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!key || !flite)("deepgram.STT against the real service", () => {
  it("warms up, then transcribes speech and answers the flush with a segment-ending final", {
    timeout: 30_000,
  }, async () => {
    const stt = new STT();
    await stt.warmup();
    const stream = stt.stream({ signal: AbortSignal.timeout(25_000), language: "en-US" });
    const speech = say("What time is it in Paris?");
    const step = 320;
    for (let i = 0; i < speech.samples.length; i += step) {
      stream.push(audioFrame(speech.samples.slice(i, i + step), 16000));
      await new Promise((r) => setTimeout(r, 5));
    }
    stream.flush();
    const parts: SttPart[] = [];
    for await (const part of stream) {
      parts.push(part);
      if (part.type === "final" && part.segmentEnd) stream.end();
    }
    expect(parts.find((p) => p.type === "error" && !p.recoverable)).toBeUndefined();
    const text = parts
      .filter((p): p is Extract<SttPart, { type: "final" }> => p.type === "final")
      .map((p) => p.text)
      .join(" ");
    expect(text.toLowerCase()).toMatch(/time/);
    expect(text.toLowerCase()).toMatch(/paris/);
    await stt.close();
  });
});
