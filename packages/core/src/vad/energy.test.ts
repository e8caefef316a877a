import { describe, expect, it } from "vitest";
import { concat, noise, silence, speechLike } from "../testing/signals.js";
import { EnergyVad } from "./energy.js";

function probabilities(vad: EnergyVad, samples: Int16Array): number[] {
  const stream = vad.createStream();
  const out: number[] = [];
  for (let i = 0; i + vad.frameSamples <= samples.length; i += vad.frameSamples) {
    out.push(stream.process(samples.subarray(i, i + vad.frameSamples)) as number);
  }
  return out;
}

describe("EnergyVad", () => {
  const vad = new EnergyVad();

  it("hears speech after silence, and silence after speech", () => {
    const signal = concat(
      noise({ durationMs: 500, levelDbfs: -65 }),
      speechLike({ durationMs: 1000 }),
      noise({ durationMs: 500, levelDbfs: -65, seed: 7 }),
    );
    const p = probabilities(vad, signal.samples);
    // 20 ms frames: 25 of quiet, 50 of speech, 25 of quiet.
    expect(Math.max(...p.slice(2, 24))).toBeLessThan(0.1);
    expect(Math.min(...p.slice(26, 74))).toBeGreaterThan(0.9);
    expect(Math.max(...p.slice(77))).toBeLessThan(0.1);
  });

  it("ignores digital silence and a quiet room", () => {
    expect(Math.max(...probabilities(vad, silence({ durationMs: 500 }).samples))).toBeLessThan(0.01);
    expect(Math.max(...probabilities(vad, noise({ durationMs: 2000, levelDbfs: -58 }).samples))).toBeLessThan(
      0.1,
    );
  });

  it("hears quiet speech (above the 0.35 deactivation even in its troughs) but not a whisper below -50 dBFS", () => {
    const quiet = concat(silence({ durationMs: 200 }), speechLike({ durationMs: 600, levelDbfs: -38 }));
    expect(Math.min(...probabilities(vad, quiet.samples).slice(12))).toBeGreaterThan(0.5);
    const whisper = concat(silence({ durationMs: 200 }), speechLike({ durationMs: 600, levelDbfs: -62 }));
    expect(Math.max(...probabilities(vad, whisper.samples))).toBeLessThan(0.1);
  });

  it("hears speech that starts with the stream, before any silence", () => {
    const p = probabilities(vad, speechLike({ durationMs: 1000 }).samples);
    expect(Math.min(...p)).toBeGreaterThan(0.9);
  });

  it("adapts to steady background noise within seconds", () => {
    const p = probabilities(vad, noise({ durationMs: 5000, levelDbfs: -40 }).samples);
    expect(Math.max(...p.slice(-125))).toBeLessThan(0.2);
    // ...and still hears speech over it.
    const over = probabilities(
      vad,
      concat(noise({ durationMs: 4000, levelDbfs: -40 }), speechLike({ durationMs: 600, levelDbfs: -20 }))
        .samples,
    );
    const voiced = over.slice(-30).filter((x) => x >= 0.5).length;
    expect(voiced).toBeGreaterThan(20); // syllable troughs may dip; the hysteresis holds those
  });
});
