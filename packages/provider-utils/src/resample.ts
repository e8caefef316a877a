import { type AudioFrame, audioFrame } from "@callwright/spec";

/** How the low-pass filter of a resampler is shaped. */
export interface ResamplerQualityOptions {
  /**
   * Zero crossings of the windowed sinc on each side of its centre. More taps: a steeper
   * transition band and more CPU. 24 gives a ~1.5 kHz transition at 48 kHz.
   */
  zeroCrossings: number;
  /** Cutoff as a fraction of the lower Nyquist frequency (0..1). */
  rolloff: number;
  /** Kaiser window beta: ~8 gives about 80 dB of stopband attenuation. */
  kaiserBeta: number;
}

export const defaultResamplerQualityOptions = {
  zeroCrossings: 24,
  rolloff: 0.9,
  kaiserBeta: 8,
} as const satisfies ResamplerQualityOptions;

export interface ResamplerOptions extends Partial<ResamplerQualityOptions> {
  inputSampleRateHz: number;
  outputSampleRateHz: number;
}

/** Rates whose reduced ratio needs more filter phases than this are refused (memory). */
const MAX_PHASES = 4096;

interface FilterBank {
  /** Output rate / gcd. */
  up: number;
  /** Input rate / gcd. */
  down: number;
  /** Taps per phase. */
  taps: number;
  /**
   * `up` phases of `taps` coefficients each, phase-major, stored oldest sample first: entry j of
   * phase p multiplies x[i - (taps - 1) + j] (so the inner loop walks both arrays forward).
   */
  coefficients: Float32Array;
  /** Group delay of the filter, in input samples. */
  delayInputSamples: number;
}

const banks = new Map<string, FilterBank>();

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for x < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function filterBank(inputRateHz: number, outputRateHz: number, quality: ResamplerQualityOptions): FilterBank {
  const key = `${inputRateHz}:${outputRateHz}:${quality.zeroCrossings}:${quality.rolloff}:${quality.kaiserBeta}`;
  const cached = banks.get(key);
  if (cached !== undefined) return cached;

  const g = gcd(inputRateHz, outputRateHz);
  const up = outputRateHz / g;
  const down = inputRateHz / g;
  if (up > MAX_PHASES) {
    throw new RangeError(
      `cannot resample ${inputRateHz} Hz to ${outputRateHz} Hz: the ratio ${up}/${down} needs over ${MAX_PHASES} filter phases; resample through a common rate such as 48000 Hz`,
    );
  }
  // The filter runs on the virtual signal upsampled by `up` (rate inputRateHz * up): a low-pass
  // at `rolloff` × the lower of the two Nyquist frequencies, normalised to that virtual rate.
  const cutoff = (quality.rolloff * Math.min(inputRateHz, outputRateHz)) / 2 / (inputRateHz * up);
  const half = Math.ceil(quality.zeroCrossings / (2 * cutoff));
  const length = 2 * half + 1;
  const taps = Math.ceil(length / up);
  const coefficients = new Float32Array(up * taps);
  const i0Beta = besselI0(quality.kaiserBeta);
  for (let j = 0; j < length; j++) {
    const t = j - half;
    const x = 2 * cutoff * t;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = t / half;
    const window = besselI0(quality.kaiserBeta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    const phase = j % up;
    const tap = (j - phase) / up;
    coefficients[phase * taps + (taps - 1 - tap)] = 2 * cutoff * up * sinc * window;
  }
  // Normalise each phase to unity DC gain, so a constant signal stays exactly constant and no
  // phase-dependent ripple (an audible tone at the output rate / up) appears.
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += coefficients[p * taps + k]!;
    if (sum !== 0) for (let k = 0; k < taps; k++) coefficients[p * taps + k]! /= sum;
  }
  const bank = { up, down, taps, coefficients, delayInputSamples: half / up };
  banks.set(key, bank);
  return bank;
}

/**
 * A streaming polyphase windowed-sinc resampler for mono PCM16 (any integer rates, e.g.
 * 48000 ↔ 16000 ↔ 24000, 22050 → 48000). It keeps its filter history across calls, so frames
 * joined at any boundary sound exactly like one long signal (no clicks). A Kaiser-windowed
 * low-pass at 0.9 × the lower Nyquist frequency removes what would alias.
 *
 * The filter delays the signal by about `zeroCrossings / (2 × rolloff × lowerNyquist)` seconds
 * (~0.8 ms for 48k → 16k); `flush()` returns the tail still held in the filter.
 */
export class Resampler {
  readonly inputSampleRateHz: number;
  readonly outputSampleRateHz: number;
  readonly #bank: FilterBank | undefined;
  /** History (taps-1 samples) followed by the current input, as floats. */
  #buffer: Float32Array;
  /** Index (relative to the first sample of the next input) of the next output's newest tap. */
  #position = 0;
  /** Filter phase of the next output, 0..up-1. */
  #phase = 0;

  constructor(options: ResamplerOptions) {
    const { inputSampleRateHz, outputSampleRateHz } = options;
    for (const [name, rate] of [
      ["inputSampleRateHz", inputSampleRateHz],
      ["outputSampleRateHz", outputSampleRateHz],
    ] as const) {
      if (!Number.isInteger(rate) || rate <= 0) {
        throw new RangeError(`${name} must be a positive integer, got ${rate}`);
      }
    }
    this.inputSampleRateHz = inputSampleRateHz;
    this.outputSampleRateHz = outputSampleRateHz;
    if (inputSampleRateHz !== outputSampleRateHz) {
      const quality = {
        zeroCrossings: options.zeroCrossings ?? defaultResamplerQualityOptions.zeroCrossings,
        rolloff: options.rolloff ?? defaultResamplerQualityOptions.rolloff,
        kaiserBeta: options.kaiserBeta ?? defaultResamplerQualityOptions.kaiserBeta,
      };
      this.#bank = filterBank(inputSampleRateHz, outputSampleRateHz, quality);
    }
    this.#buffer = new Float32Array((this.#bank?.taps ?? 1) - 1 + 1024);
  }

  /** True when input and output rates are equal: `process` returns its input unchanged. */
  get passthrough(): boolean {
    return this.#bank === undefined;
  }

  /** Delay the filter adds, in milliseconds. */
  get delayMs(): number {
    return this.#bank === undefined ? 0 : (this.#bank.delayInputSamples * 1000) / this.inputSampleRateHz;
  }

  /**
   * Resamples the next chunk of a mono stream. Returns a new array (possibly empty) that the
   * caller owns; at equal rates returns `input` itself.
   */
  process(input: Int16Array): Int16Array {
    const bank = this.#bank;
    if (bank === undefined) return input;
    const { up, down, taps, coefficients } = bank;
    const history = taps - 1;
    const needed = history + input.length;
    if (this.#buffer.length < needed) {
      const grown = new Float32Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, history));
      this.#buffer = grown;
    }
    const buffer = this.#buffer;
    for (let j = 0; j < input.length; j++) buffer[history + j] = input[j]!;

    // Outputs whose newest tap lies inside this input: position in virtual-rate units grows by
    // `down` per output and must stay below input.length * up.
    const start = this.#position * up + this.#phase;
    const end = input.length * up;
    const count = start < end ? Math.ceil((end - start) / down) : 0;
    const out = new Int16Array(count);
    let position = this.#position;
    let phase = this.#phase;
    const unrolled = taps - (taps % 4);
    for (let o = 0; o < count; o++) {
      const base = phase * taps;
      const start = position; // buffer index of x[i - (taps - 1)]
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k < unrolled; k += 4) {
        s0 += coefficients[base + k]! * buffer[start + k]!;
        s1 += coefficients[base + k + 1]! * buffer[start + k + 1]!;
        s2 += coefficients[base + k + 2]! * buffer[start + k + 2]!;
        s3 += coefficients[base + k + 3]! * buffer[start + k + 3]!;
      }
      for (; k < taps; k++) s0 += coefficients[base + k]! * buffer[start + k]!;
      const rounded = Math.round(s0 + s1 + s2 + s3);
      out[o] = Math.min(32767, Math.max(-32768, rounded));
      phase += down;
      if (phase >= up) {
        position += Math.floor(phase / up);
        phase %= up;
      }
    }
    // Keep the last `history` samples for the next call.
    buffer.copyWithin(0, input.length, input.length + history);
    this.#position = position - input.length;
    this.#phase = phase;
    return out;
  }

  /** The samples still held in the filter (the signal's last ~delayMs), then a clean state. */
  flush(): Int16Array {
    if (this.#bank === undefined) return new Int16Array(0);
    const tail = this.process(new Int16Array(Math.ceil(this.#bank.delayInputSamples) + 1));
    this.reset();
    return tail;
  }

  /** Forgets the stream (history and phase), e.g. before an unrelated signal. */
  reset(): void {
    this.#buffer.fill(0);
    this.#position = 0;
    this.#phase = 0;
  }
}

/**
 * Resamples a whole mono signal at once, compensating the filter delay so the output lines up
 * with the input in time (for files and tests; streams use `Resampler`).
 */
export function resample<Rate extends number>(
  frame: AudioFrame,
  outputSampleRateHz: Rate,
): AudioFrame<Rate, 1> {
  if (frame.channels !== 1)
    throw new RangeError(`resample takes mono frames, got ${frame.channels} channels`);
  const resampler = new Resampler({ inputSampleRateHz: frame.sampleRateHz, outputSampleRateHz });
  if (resampler.passthrough) return audioFrame(frame.samples, outputSampleRateHz);
  const body = resampler.process(frame.samples);
  const tail = resampler.flush();
  const skip = Math.round((resampler.delayMs * outputSampleRateHz) / 1000);
  const wanted = Math.round((frame.samples.length * outputSampleRateHz) / frame.sampleRateHz);
  const out = new Int16Array(wanted);
  const all = new Int16Array(body.length + tail.length);
  all.set(body);
  all.set(tail, body.length);
  out.set(all.subarray(skip, skip + wanted));
  return audioFrame(out, outputSampleRateHz);
}
