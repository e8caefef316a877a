// Runs against the real ElevenLabs only when ELEVENLABS_API_KEY is set (ELEVENLABS_BASE_URL and
// a voice in ELEVENLABS_VOICE_ID are honoured too). It uses a few hundred characters of quota.
import { frameRms, type TtsStreamPart } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import type { StreamingMode } from "./options.js";
import { TTS } from "./tts.js";

const key = process.env.ELEVENLABS_API_KEY?.trim();
const voiceId = process.env.ELEVENLABS_VOICE_ID?.trim() || undefined;
if (!key)
  console.log(
    "skip: @callwright/elevenlabs live tests need ELEVENLABS_API_KEY (they call the real ElevenLabs API)",
  );

describe.skipIf(!key)("elevenlabs.TTS against the real service", () => {
  it("warms up and synthesizes a sentence over HTTP", { timeout: 30_000 }, async () => {
    const tts = new TTS({ ...(voiceId ? { voiceId } : {}), outputSampleRateHz: 16000 });
    await tts.warmup();
    let samples = 0;
    let loud = 0;
    for await (const frame of tts.synthesize("Hello from callwright.", {
      signal: AbortSignal.timeout(25_000),
    })) {
      expect(frame.sampleRateHz).toBe(16000);
      samples += frame.samples.length;
      loud = Math.max(loud, frameRms(frame));
    }
    expect(samples / 16000).toBeGreaterThan(0.5);
    expect(loud).toBeGreaterThan(0.01);
    await tts.close();
  });

  for (const streaming of ["multi-context", "socket-per-reply"] as StreamingMode[]) {
    it(`streams a reply in (${streaming}) and times its words`, { timeout: 30_000 }, async () => {
      const tts = new TTS({ ...(voiceId ? { voiceId } : {}), streaming });
      const stream = tts.streamText({ signal: AbortSignal.timeout(25_000) });
      for (const token of ["Sure", ", it is", " a quarter", " past three.", " Anything", " else?"])
        stream.push(token);
      stream.end();
      const parts: TtsStreamPart[] = [];
      for await (const part of stream) parts.push(part);
      expect(parts.find((p) => p.type === "error")).toBeUndefined();
      const audioMs = parts.reduce(
        (ms, p) => ms + (p.type === "audio" ? (p.frame.samples.length * 1000) / 24000 : 0),
        0,
      );
      const words = parts.flatMap((p) => (p.type === "timings" ? [...p.timings] : []));
      expect(words.map((w) => w.text).join("")).toMatch(/quarter past three/);
      // The last word ends within the audio, and times only go forward.
      expect(words.at(-1)!.endMs).toBeLessThanOrEqual(audioMs + 50);
      for (let i = 1; i < words.length; i++)
        expect(words[i]!.startMs).toBeGreaterThanOrEqual(words[i - 1]!.startMs);
      await tts.close();
    });
  }
});
