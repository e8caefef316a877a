import type { VadModel } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { defaultVadOptions, VadDetector, type VadEvent } from "./vad-detector.js";

/** A model that answers from a script of probabilities, one per 10 ms frame (160 samples). */
function scripted(probabilities: number[], options: { async?: boolean } = {}): VadModel {
  let i = 0;
  return {
    specificationVersion: "v1",
    provider: "test",
    modelId: "scripted",
    sampleRateHz: 16000,
    frameSamples: 160,
    createStream: () => ({
      process: () => {
        const p = probabilities[i++] ?? 0;
        return options.async ? Promise.resolve(p) : p;
      },
      reset: () => {},
      close: () => {},
    }),
  };
}

function run(probabilities: number[], options: { async?: boolean; chunk?: number } = {}) {
  const events: { event: VadEvent; atMs: number; startMs: number; lastVoicedMs: number }[] = [];
  const detector = new VadDetector(scripted(probabilities, options), defaultVadOptions, {
    onFrame: (_frame, event) => {
      if (event !== "none") {
        events.push({
          event,
          atMs: detector.audioMs,
          startMs: detector.speechStartMs,
          lastVoicedMs: detector.lastVoicedEndMs,
        });
      }
    },
    onError: (error) => {
      throw error;
    },
  });
  const audio = new Int16Array(probabilities.length * 160);
  const chunk = options.chunk ?? 960;
  for (let i = 0; i < audio.length; i += chunk) detector.push(audio.subarray(i, i + chunk));
  return { events, detector };
}

const frames = (n: number, p: number) => Array<number>(n).fill(p);

describe("VadDetector", () => {
  it("starts speech after 50 ms voiced, dated to its first voiced frame", () => {
    const { events } = run([...frames(10, 0.1), ...frames(30, 0.9), ...frames(60, 0.1)]);
    expect(events[0]).toEqual({ event: "speech_start", atMs: 150, startMs: 100, lastVoicedMs: 150 });
  });

  it("ends speech after 550 ms of silence, dated to the last voiced frame", () => {
    const { events } = run([...frames(10, 0.1), ...frames(30, 0.9), ...frames(60, 0.1)]);
    expect(events[1]).toEqual({ event: "speech_end", atMs: 950, startMs: 100, lastVoicedMs: 400 });
  });

  it("ignores a blip shorter than min speech, and a pause shorter than min silence", () => {
    const { events } = run([
      ...frames(4, 0.9), // 40 ms: a click
      ...frames(10, 0.1),
      ...frames(20, 0.9),
      ...frames(40, 0.1), // 400 ms pause: same speech
      ...frames(20, 0.9),
      ...frames(60, 0.1),
    ]);
    expect(events.map((e) => e.event)).toEqual(["speech_start", "speech_end"]);
    expect(events[1]!.lastVoicedMs).toBe(940);
  });

  it("keeps speaking between the two thresholds (hysteresis)", () => {
    const { events } = run([...frames(10, 0.9), ...frames(100, 0.4), ...frames(60, 0.2)]);
    expect(events.map((e) => e.event)).toEqual(["speech_start", "speech_end"]);
    expect(events[1]!.lastVoicedMs).toBe(1100);
  });

  it("gives the same answer with a model that answers with promises", async () => {
    const script = [...frames(10, 0.1), ...frames(30, 0.9), ...frames(60, 0.1)];
    const sync = run(script).events;
    const result = run(script, { async: true, chunk: 333 });
    await new Promise((r) => setTimeout(r, 10));
    expect(result.events).toEqual(sync);
  });
});
