import { beforeAll, describe, expect, it } from "vitest";
import { fliteSpeech, padded, sentences } from "../../test-fixtures/speech.js";
import { VAD } from "./index.js";

const frameSamples = 512;
const frameMs = 32;

async function probabilities(vad: VAD, samples: Int16Array): Promise<number[]> {
  const stream = vad.createStream();
  const out: number[] = [];
  for (let i = 0; i + frameSamples <= samples.length; i += frameSamples) {
    out.push(await stream.process(samples.subarray(i, i + frameSamples)));
  }
  stream.close();
  return out;
}

/**
 * The core's thresholds (activation 0.5, deactivation 0.35, 550 ms of silence ends speech),
 * applied the simplest way: speech starts at the first frame at or above 0.5.
 */
function segments(probs: number[]): { startMs: number; endMs: number }[] {
  const found: { startMs: number; endMs: number }[] = [];
  let start: number | undefined;
  let lastVoiced = 0;
  probs.forEach((p, i) => {
    if (start === undefined) {
      if (p >= 0.5) {
        start = i;
        lastVoiced = i;
      }
    } else if (p >= 0.35) {
      lastVoiced = i;
    } else if ((i - lastVoiced) * frameMs >= 550) {
      found.push({ startMs: start * frameMs, endMs: (lastVoiced + 1) * frameMs });
      start = undefined;
    }
  });
  if (start !== undefined) found.push({ startMs: start * frameMs, endMs: (lastVoiced + 1) * frameMs });
  return found;
}

describe("local.VAD (Silero v5)", () => {
  let recording: Awaited<ReturnType<typeof padded>>;

  beforeAll(async () => {
    const speech = await Promise.all(sentences.map((s) => fliteSpeech(s, "slt")));
    recording = padded(speech, 1000);
  });

  it("finds each utterance of a padded recording, onsets within 100 ms", async () => {
    const vad = new VAD();
    await vad.warmup();
    const found = segments(await probabilities(vad, recording.samples));
    expect(found).toHaveLength(recording.spans.length);
    found.forEach((segment, i) => {
      const truth = recording.spans[i]!;
      expect(Math.abs(segment.startMs - truth.startMs), `onset ${i}`).toBeLessThanOrEqual(100);
      expect(segment.endMs, `end ${i}`).toBeGreaterThan(truth.endMs - 400);
      expect(segment.endMs, `end ${i}`).toBeLessThan(truth.endMs + 400);
    });
    await vad.close();
  });

  it("hears silence as silence", async () => {
    const vad = new VAD();
    const probs = await probabilities(vad, new Int16Array(16000));
    expect(Math.max(...probs)).toBeLessThan(0.1);
    await vad.close();
  });

  it("keeps each stream's state apart while they share one model", async () => {
    const vad = new VAD();
    await vad.warmup();
    const alone = await probabilities(vad, recording.samples.subarray(0, 16000 * 4));
    // Two streams fed frame by frame in turn: one the recording, the other silence.
    const a = vad.createStream();
    const b = vad.createStream();
    const interleaved: number[] = [];
    const silence = new Int16Array(frameSamples);
    for (let i = 0; i + frameSamples <= 16000 * 4; i += frameSamples) {
      interleaved.push(await a.process(recording.samples.subarray(i, i + frameSamples)));
      await b.process(silence);
    }
    expect(interleaved).toEqual(alone);
    a.reset();
    expect(await a.process(recording.samples.subarray(0, frameSamples))).toBe(alone[0]);
    await vad.close();
  });

  it("answers synchronously once loaded", async () => {
    const vad = new VAD();
    await vad.warmup();
    const stream = vad.createStream();
    expect(typeof stream.process(new Int16Array(frameSamples))).toBe("number");
    stream.close();
    await vad.close();
  });

  it("refuses frames of the wrong size and use after close", async () => {
    const vad = new VAD();
    const stream = vad.createStream();
    expect(() => stream.process(new Int16Array(480))).toThrow(/512 samples/);
    stream.close();
    expect(() => stream.process(new Int16Array(frameSamples))).toThrow(/closed/);
    await vad.close();
    expect(() => vad.createStream()).toThrow(/closed/);
  });

  it("fails warm-up with a clear error when the model file is missing", async () => {
    const vad = new VAD({ modelPath: "/nonexistent/silero_vad.onnx" });
    await expect(vad.warmup()).rejects.toMatchObject({
      code: "vad_model_missing",
      message: expect.stringContaining("/nonexistent/silero_vad.onnx"),
    });
  });
});
