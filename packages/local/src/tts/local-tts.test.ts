import { readdir, readFile } from "node:fs/promises";
import { type AudioFrame, frameDurationMs, frameRms, isAbortError } from "callwright";
import { describe, expect, it } from "vitest";
import { TTS } from "./index.js";

const text =
  "Please book a table for two at seven o'clock tonight. I would like to cancel my order and get a refund.";
const words = text.split(/\s+/).length;

async function synthesize(
  tts: TTS,
  input: string,
  signal = new AbortController().signal,
): Promise<AudioFrame[]> {
  const frames: AudioFrame[] = [];
  for await (const frame of tts.synthesize(input, { signal })) frames.push(frame);
  return frames;
}

function durationMs(frames: AudioFrame[]): number {
  return frames.reduce((ms, f) => ms + frameDurationMs(f), 0);
}

/** Loudness of the whole reply: speech is far above silence (0) and below clipping. */
function rms(frames: AudioFrame[]): number {
  const total = frames.reduce((n, f) => n + f.samples.length, 0);
  const energy = frames.reduce((e, f) => e + frameRms(f) ** 2 * f.samples.length, 0);
  return Math.sqrt(energy / total);
}

/**
 * English is spoken at roughly 120–270 words a minute, 220–500 ms a word; these voices speak at
 * about 200 words a minute. Each sentence adds up to ≈0.4 s of pause around it.
 */
function expectDurationToFit(frames: AudioFrame[], wordCount: number, sentences: number): void {
  const ms = durationMs(frames);
  expect(ms).toBeGreaterThanOrEqual(wordCount * 220);
  expect(ms).toBeLessThanOrEqual(wordCount * 500 + sentences * 400);
}

/** PIDs of this process's children running `name`. */
async function childrenNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid ...
    const match = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
    if (match?.[1] === name && Number(match[2]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

describe("local.TTS", () => {
  it("speaks with flite kal16 by default: 16 kHz audio as long as the text", async () => {
    const tts = new TTS();
    expect(tts.outputSampleRateHz).toBe(16000);
    expect(tts.modelId).toBe("flite-kal16");
    await tts.warmup();
    const frames = await synthesize(tts, text);
    expect(frames.every((f) => f.sampleRateHz === 16000 && f.channels === 1)).toBe(true);
    expectDurationToFit(frames, words, 2);
    expect(rms(frames)).toBeGreaterThan(0.02);
  });

  it("speaks with the slt voice", async () => {
    const tts = new TTS({ voice: "slt" });
    const frames = await synthesize(tts, text);
    expectDurationToFit(frames, words, 2);
    expect(rms(frames)).toBeGreaterThan(0.02);
  });

  it("speaks with festival's HTS voice at 32 kHz", async () => {
    const tts = new TTS({ engine: "festival" });
    expect(tts.outputSampleRateHz).toBe(32000);
    const frames = await synthesize(tts, "I would like to cancel my order.");
    expect(frames.every((f) => f.sampleRateHz === 32000)).toBe(true);
    expectDurationToFit(frames, 7, 1);
    expect(rms(frames)).toBeGreaterThan(0.02);
  });

  it("yields nothing for empty text", async () => {
    expect(await synthesize(new TTS(), "  ")).toEqual([]);
  });

  it("stops and kills flite when aborted", async () => {
    const tts = new TTS({ voice: "slt" });
    const abort = new AbortController();
    // Long enough that flite is still busy when we abort (several seconds of work).
    const long = Array.from({ length: 150 }, () => text).join(" ");
    const first = tts.synthesize(long, { signal: abort.signal })[Symbol.asyncIterator]().next();
    let flite: number[] = [];
    while (flite.length === 0) flite = await childrenNamed("flite");
    abort.abort();
    const error = await first.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(error)).toBe(true);
    expect(await childrenNamed("flite")).toEqual([]);
  });

  it("fails warm-up with the install command when the binary is missing", async () => {
    await expect(new TTS({ binaryPath: "/nonexistent/flite" }).warmup()).rejects.toMatchObject({
      code: "tts_engine_missing",
      message: expect.stringContaining("apt-get install -y flite"),
    });
    await expect(
      new TTS({ engine: "festival", binaryPath: "/nonexistent/text2wave" }).warmup(),
    ).rejects.toMatchObject({
      code: "tts_engine_missing",
      message: expect.stringContaining("apt-get install -y festival festvox-us-slt-hts"),
    });
  });

  it("fails warm-up when the voice does not exist, instead of speaking another", async () => {
    await expect(new TTS({ voice: "nosuchvoice" }).warmup()).rejects.toMatchObject({
      code: "config_invalid",
      message: expect.stringContaining("kal16"),
    });
    await expect(new TTS({ engine: "festival", voice: "nosuch_voice" }).warmup()).rejects.toMatchObject({
      code: "tts_voice_missing",
      message: expect.stringContaining("festvox-us-slt-hts"),
    });
    expect(() => new TTS({ engine: "festival", voice: "x) (system" })).toThrow(/not a voice name/);
  });
});
