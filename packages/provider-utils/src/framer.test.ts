import { describe, expect, it } from "vitest";
import { Framer } from "./framer.js";

function ramp(from: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => from + i);
}

describe("Framer", () => {
  it("cuts arbitrary chunks into 20 ms frames, in order, losing nothing", () => {
    const framer = new Framer({ sampleRateHz: 16000, frameMs: 20 });
    expect(framer.frameSamples).toBe(320);
    const frames: Int16Array[] = [];
    let next = 0;
    for (const size of [100, 500, 7, 333, 900, 1]) {
      framer.push(ramp(next, size), (f) => frames.push(f));
      next += size;
    }
    expect(frames.length).toBe(Math.floor(next / 320));
    const joined = frames.flatMap((f) => Array.from(f));
    expect(joined).toEqual(Array.from(ramp(0, frames.length * 320)));
    expect(framer.pendingSamples).toBe(next % 320);
  });

  it("hands whole frames inside a chunk on as views, without copying", () => {
    const framer = new Framer({ sampleRateHz: 48000, frameMs: 10 });
    const chunk = ramp(0, 960);
    const frames: Int16Array[] = [];
    framer.push(chunk, (f) => frames.push(f));
    expect(frames).toHaveLength(2);
    expect(frames[0]!.buffer).toBe(chunk.buffer);
    expect(frames[1]!.byteOffset).toBe(480 * 2);
  });

  it("keeps emitted frames intact when more audio follows", () => {
    const framer = new Framer({ sampleRateHz: 16000, frameSamples: 4 });
    const frames: Int16Array[] = [];
    for (let i = 0; i < 200; i++) framer.push(ramp(i * 3, 3), (f) => frames.push(f));
    expect(frames.flatMap((f) => Array.from(f))).toEqual(Array.from(ramp(0, frames.length * 4)));
  });

  it("flush pads the last frame with silence, or emits it short", () => {
    const padded = new Framer({ sampleRateHz: 16000, frameSamples: 4 });
    const out: Int16Array[] = [];
    padded.push(Int16Array.of(1, 2, 3, 4, 5, 6), (f) => out.push(f));
    padded.flush((f) => out.push(f));
    expect(out.map((f) => Array.from(f))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 0, 0],
    ]);
    const short = new Framer({ sampleRateHz: 16000, frameSamples: 4 });
    const out2: Int16Array[] = [];
    short.push(Int16Array.of(1, 2, 3, 4, 5), (f) => out2.push(f));
    short.flush((f) => out2.push(f), { pad: false });
    expect(out2.map((f) => Array.from(f))).toEqual([[1, 2, 3, 4], [5]]);
  });
});
