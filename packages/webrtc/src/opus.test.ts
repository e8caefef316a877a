import { describe, expect, test } from "vitest";
import { OpusDecoder, OpusEncoder } from "./opus.js";

function tone(frames: number, rateHz = 48000, hz = 440): Int16Array[] {
  const n = rateHz / 50;
  return Array.from({ length: frames }, (_, f) => {
    const s = new Int16Array(n);
    for (let i = 0; i < n; i++)
      s[i] = Math.round(10_000 * Math.sin((2 * Math.PI * hz * (f * n + i)) / rateHz));
    return s;
  });
}

const rms = (s: Int16Array) => Math.sqrt(s.reduce((a, v) => a + v * v, 0) / s.length) / 32768;

describe("Opus", () => {
  const encoder = () =>
    new OpusEncoder({ sampleRateHz: 48000, bitrateBps: 32000, complexity: 8, inbandFec: true });

  test("48 kHz speech-band audio decodes straight to 16 kHz (what VAD and STT take) and 48 kHz", () => {
    const enc = encoder();
    const packets = tone(10).map((f) => enc.encode(f));
    const d16 = new OpusDecoder(16000);
    const d48 = new OpusDecoder(48000);
    const out16 = packets.map((pk) => d16.decode(pk)!);
    const out48 = packets.map((pk) => d48.decode(pk)!);
    expect(out16.every((f) => f.length === 320)).toBe(true);
    expect(out48.every((f) => f.length === 960)).toBe(true);
    expect(rms(out16.at(-1)!)).toBeGreaterThan(0.15);
    expect(rms(out48.at(-1)!)).toBeGreaterThan(0.15);
    d16.close();
    d48.close();
  });

  test("a lost packet is concealed, or recovered from the next packet's FEC", () => {
    const enc = encoder();
    const packets = tone(20).map((f) => enc.encode(f));
    const dec = new OpusDecoder(16000);
    for (let i = 0; i < 10; i++) dec.decode(packets[i]!);
    const concealed = dec.conceal();
    expect(concealed.length).toBe(320);
    expect(rms(concealed)).toBeGreaterThan(0.05);
    const recovered = dec.decodeFec(packets[12]!);
    expect(recovered?.length).toBe(320);
    expect(rms(recovered!)).toBeGreaterThan(0.05);
    dec.close();
  });

  test("garbage is rejected (null), not thrown, and the decoder goes on", () => {
    const dec = new OpusDecoder(16000);
    expect(dec.decode(Uint8Array.of(0xff, 0xff, 0xff, 0x01))).toBeNull();
    expect(dec.decode(new Uint8Array(5000))).toBeNull();
    const enc = encoder();
    expect(dec.decode(enc.encode(tone(1)[0]!))?.length).toBe(320);
    dec.close();
    expect(() => dec.decode(Uint8Array.of(1))).toThrow(/closed/);
  });

  test("encoded packets are the caller's own (not overwritten by the next encode)", () => {
    const enc = encoder();
    const [a, b] = tone(2);
    const first = enc.encode(a!);
    const copy = Uint8Array.from(first);
    enc.encode(b!);
    expect(first).toEqual(copy);
  });
});
