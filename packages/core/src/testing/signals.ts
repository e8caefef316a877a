import { type AudioFrame, audioFrame } from "@callwright/spec";

export interface SignalOptions {
  durationMs: number;
  /** Default 16000. */
  sampleRateHz?: number;
}

/** Digital silence. */
export function silence(options: SignalOptions): AudioFrame<number, 1> {
  const rate = options.sampleRateHz ?? 16000;
  return audioFrame(new Int16Array(Math.round((options.durationMs * rate) / 1000)), rate);
}

/** A pure tone. */
export function tone(
  options: SignalOptions & { frequencyHz: number; amplitude?: number },
): AudioFrame<number, 1> {
  const rate = options.sampleRateHz ?? 16000;
  const amplitude = options.amplitude ?? 8000;
  const out = new Int16Array(Math.round((options.durationMs * rate) / 1000));
  const step = (2 * Math.PI * options.frequencyHz) / rate;
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin(step * i));
  return audioFrame(out, rate);
}

/**
 * A deterministic voiced signal that any VAD should take for speech: a 130 Hz glottal-like
 * harmonic series (up to 3.5 kHz) with syllable-rate (4 Hz) loudness changes, at about
 * `levelDbfs` RMS (default -22 dBFS, a normal speaking level).
 */
export function speechLike(
  options: SignalOptions & { levelDbfs?: number; fundamentalHz?: number },
): AudioFrame<number, 1> {
  const rate = options.sampleRateHz ?? 16000;
  const f0 = options.fundamentalHz ?? 130;
  const n = Math.round((options.durationMs * rate) / 1000);
  const raw = new Float64Array(n);
  const harmonics = Math.floor(3500 / f0);
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    // Slight vibrato keeps it from being a single stationary tone.
    const phase = 2 * Math.PI * f0 * t + 0.3 * Math.sin(2 * Math.PI * 5 * t);
    let v = 0;
    for (let h = 1; h <= harmonics; h++) v += Math.sin(h * phase) / h;
    const syllable = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t);
    raw[i] = v * syllable;
    energy += raw[i]! * raw[i]!;
  }
  const target = 32768 * 10 ** ((options.levelDbfs ?? -22) / 20);
  const gain = n === 0 ? 0 : target / Math.sqrt(energy / n);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(raw[i]! * gain)));
  return audioFrame(out, rate);
}

/** Low-level white noise (a deterministic LCG), e.g. a quiet room at -60 dBFS. */
export function noise(options: SignalOptions & { levelDbfs?: number; seed?: number }): AudioFrame<number, 1> {
  const rate = options.sampleRateHz ?? 16000;
  const n = Math.round((options.durationMs * rate) / 1000);
  const amplitude = 32768 * 10 ** ((options.levelDbfs ?? -60) / 20) * Math.sqrt(3);
  let state = options.seed ?? 12345;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    out[i] = Math.round(((state / 0x100000000) * 2 - 1) * amplitude);
  }
  return audioFrame(out, rate);
}

/** Joins mono signals of one rate end to end. */
export function concat(...parts: AudioFrame[]): AudioFrame<number, 1> {
  const rate = parts[0]?.sampleRateHz ?? 16000;
  let length = 0;
  for (const p of parts) {
    if (p.sampleRateHz !== rate || p.channels !== 1)
      throw new RangeError("concat takes mono signals of one rate");
    length += p.samples.length;
  }
  const out = new Int16Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p.samples, at);
    at += p.samples.length;
  }
  return audioFrame(out, rate);
}
