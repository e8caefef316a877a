import { audioFrame } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { Resampler, resample } from "./resample.js";

function sine(rateHz: number, freqHz: number, seconds: number, amplitude = 10000): Int16Array {
  const out = new Int16Array(Math.round(rateHz * seconds));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * i) / rateHz));
  return out;
}

/** Least-squares fit of a sine at `freqHz`: its amplitude and the residual's RMS (noise, clicks, aliases). */
function fitSine(
  samples: Int16Array,
  rateHz: number,
  freqHz: number,
): { amplitude: number; residualRms: number } {
  let ss = 0;
  let sc = 0;
  let cc = 0;
  let xs = 0;
  let xc = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = Math.sin((2 * Math.PI * freqHz * i) / rateHz);
    const c = Math.cos((2 * Math.PI * freqHz * i) / rateHz);
    ss += s * s;
    sc += s * c;
    cc += c * c;
    xs += samples[i]! * s;
    xc += samples[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let residual = 0;
  for (let i = 0; i < samples.length; i++) {
    const fit =
      a * Math.sin((2 * Math.PI * freqHz * i) / rateHz) + b * Math.cos((2 * Math.PI * freqHz * i) / rateHz);
    residual += (samples[i]! - fit) ** 2;
  }
  return { amplitude: Math.hypot(a, b), residualRms: Math.sqrt(residual / samples.length) };
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / samples.length);
}

/** Streams `input` through a resampler in chunks of `chunk` samples. */
function streamed(input: Int16Array, inRate: number, outRate: number, chunk: number): Int16Array {
  const r = new Resampler({ inputSampleRateHz: inRate, outputSampleRateHz: outRate });
  const parts: Int16Array[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(r.process(input.subarray(i, i + chunk)));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("Resampler", () => {
  const cases: [number, number][] = [
    [48000, 16000],
    [16000, 48000],
    [24000, 48000],
    [48000, 24000],
    [16000, 24000],
    [24000, 16000],
    [22050, 48000],
    [44100, 16000],
  ];
  for (const [inRate, outRate] of cases) {
    it(`keeps a 1 kHz sine's frequency and amplitude, ${inRate} → ${outRate} Hz, in 20 ms chunks`, () => {
      const input = sine(inRate, 1000, 0.5);
      const out = streamed(input, inRate, outRate, Math.round(inRate / 50));
      // Output length follows the rate ratio (within the filter's delay).
      expect(Math.abs(out.length - (input.length * outRate) / inRate)).toBeLessThan(2);
      // Skip the filter's start-up, then the output must be a clean 1 kHz sine at the new rate.
      const steady = out.subarray(Math.round(outRate * 0.01));
      const { amplitude, residualRms } = fitSine(steady, outRate, 1000);
      expect(amplitude).toBeGreaterThan(10000 * 0.995);
      expect(amplitude).toBeLessThan(10000 * 1.005);
      // Residual (quantisation, clicks at chunk boundaries, images, aliases) at least 60 dB down.
      expect(20 * Math.log10(residualRms / amplitude)).toBeLessThan(-60);
    });
  }

  it("gives the same output whatever the chunk boundaries (stateful: no clicks)", () => {
    const input = sine(48000, 440, 0.3);
    const whole = streamed(input, 48000, 16000, input.length);
    const odd = streamed(input, 48000, 16000, 137);
    const tiny = streamed(input, 48000, 16000, 1);
    expect(odd).toEqual(whole);
    expect(tiny).toEqual(whole);
  });

  it("attenuates a tone above the new Nyquist frequency by more than 60 dB (no aliasing)", () => {
    // 12 kHz at 48 kHz would alias to 4 kHz at 16 kHz without the low-pass.
    const input = sine(48000, 12000, 0.5);
    const out = streamed(input, 48000, 16000, 960).subarray(400);
    expect(20 * Math.log10(rms(out) / rms(input))).toBeLessThan(-60);
    // And 9 kHz (just above 8 kHz) from 48 kHz to 16 kHz.
    const near = streamed(sine(48000, 9000, 0.5), 48000, 16000, 960).subarray(400);
    expect(20 * Math.log10(rms(near) / (10000 / Math.SQRT2))).toBeLessThan(-40);
  });

  it("upsampling leaves no images above the old Nyquist frequency", () => {
    // A 3 kHz tone at 16 kHz upsampled to 48 kHz must not carry images at 13 and 19 kHz.
    const out = streamed(sine(16000, 3000, 0.5), 16000, 48000, 320).subarray(1000);
    const { residualRms, amplitude } = fitSine(out, 48000, 3000);
    expect(20 * Math.log10(residualRms / amplitude)).toBeLessThan(-60);
  });

  it("passes a constant through unchanged and clamps instead of wrapping", () => {
    const loud = new Int16Array(4800).fill(32767);
    const out = streamed(loud, 48000, 16000, 480).subarray(200);
    for (const v of out) expect(v).toBeGreaterThan(32700);
  });

  it("is the identity at equal rates, without copying", () => {
    const r = new Resampler({ inputSampleRateHz: 16000, outputSampleRateHz: 16000 });
    const input = sine(16000, 1000, 0.02);
    expect(r.process(input)).toBe(input);
  });

  it("flush returns the filter's tail, and resample() lines output up with input", () => {
    const input = sine(16000, 500, 0.1);
    const out = resample(audioFrame(input, 16000), 48000);
    expect(out.sampleRateHz).toBe(48000);
    expect(out.samples.length).toBe(input.length * 3);
    // Aligned: sample 3n of the output is close to sample n of the input.
    for (let n = 200; n < 1400; n += 97) expect(Math.abs(out.samples[3 * n]! - input[n]!)).toBeLessThan(60);
  });

  it("refuses bad rates with a message", () => {
    expect(() => new Resampler({ inputSampleRateHz: 0, outputSampleRateHz: 16000 })).toThrow(
      /positive integer/,
    );
    expect(() => new Resampler({ inputSampleRateHz: 48000, outputSampleRateHz: 47999 })).toThrow(
      /filter phases/,
    );
  });
});
