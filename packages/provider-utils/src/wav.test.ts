import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { audioFrame, frameDurationMs, frameRms } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { readWav, writeWav } from "./wav.js";

describe("WAV", () => {
  it("round-trips PCM16 mono and stereo", () => {
    for (const channels of [1, 2]) {
      const samples = Int16Array.from({ length: 1000 * channels }, (_, i) => ((i * 37) % 65536) - 32768);
      const frame = audioFrame(samples, 24000, channels);
      const back = readWav(writeWav(frame));
      expect(back.sampleRateHz).toBe(24000);
      expect(back.channels).toBe(channels);
      expect(Array.from(back.samples)).toEqual(Array.from(samples));
    }
  });

  it("reads a file with extra chunks and odd offsets", () => {
    const wav = writeWav(audioFrame(Int16Array.of(1, -2, 3), 16000));
    // Insert a 3-byte LIST chunk (padded to 4) before "data", and put the file at an odd offset.
    const list = Uint8Array.of(0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 9, 9, 9, 0);
    const bytes = new Uint8Array(1 + wav.length + list.length);
    bytes.set(wav.subarray(0, 36), 1);
    bytes.set(list, 37);
    bytes.set(wav.subarray(36), 37 + list.length);
    const back = readWav(bytes.subarray(1));
    expect(Array.from(back.samples)).toEqual([1, -2, 3]);
  });

  it("says what is wrong with something that is not a WAV", () => {
    expect(() => readWav(new TextEncoder().encode("hello, this is text"))).toThrow(/not a WAV file/);
  });

  it.skipIf(!existsSync("/usr/bin/flite"))("reads what flite writes", () => {
    const dir = mkdtempSync(join(tmpdir(), "cw-wav-"));
    try {
      const path = join(dir, "hello.wav");
      execFileSync("flite", ["-voice", "kal16", "-t", "hello world", "-o", path]);
      const frame = readWav(readFileSync(path));
      expect(frame.sampleRateHz).toBe(16000);
      expect(frame.channels).toBe(1);
      expect(frameDurationMs(frame)).toBeGreaterThan(500);
      expect(frameRms(frame)).toBeGreaterThan(0.01);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
