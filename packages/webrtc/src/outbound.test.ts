import { audioFrame } from "@callwright/spec";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { OutboundAudio, type RtpTarget } from "./outbound.js";
import { parseRtp, type RtpPacket } from "./rtp.js";

class Target implements RtpTarget {
  readonly packets: RtpPacket[] = [];
  constructor(readonly opusPayloadType = 111) {}
  sendRtp(packet: Uint8Array): boolean {
    this.packets.push(parseRtp(packet)!);
    return true;
  }
}

const frame = (ms: number, rateHz = 48000, channels = 1) =>
  audioFrame(new Int16Array((rateHz * ms * channels) / 1000).fill(1000), rateHz, channels);

describe("OutboundAudio", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const outbound = () => new OutboundAudio({ bitrateBps: 32000, complexity: 5, gapMs: 40 });

  test("each 20 ms frame goes out at once: sequence +1, timestamp +960, marker on the first only", () => {
    const out = outbound();
    const t = new Target();
    for (let i = 0; i < 5; i++) {
      out.send(frame(20), [t]);
      vi.advanceTimersByTime(20);
    }
    expect(t.packets).toHaveLength(5);
    expect(t.packets.map((p) => p.marker)).toEqual([true, false, false, false, false]);
    for (let i = 1; i < 5; i++) {
      expect(t.packets[i]!.sequenceNumber).toBe((t.packets[0]!.sequenceNumber + i) & 0xffff);
      expect(t.packets[i]!.timestamp).toBe((t.packets[0]!.timestamp + 960 * i) >>> 0);
      expect(t.packets[i]!.ssrc).toBe(out.ssrc);
    }
  });

  test("after a silence the timestamp moves on by the wall-clock gap and the marker is set", () => {
    const out = outbound();
    const t = new Target();
    out.send(frame(20), [t]);
    vi.advanceTimersByTime(20 + 500);
    out.send(frame(20), [t]);
    const [a, b] = t.packets;
    expect(b!.sequenceNumber).toBe((a!.sequenceNumber + 1) & 0xffff);
    expect((b!.timestamp - a!.timestamp) >>> 0).toBe(960 + 500 * 48);
    expect(b!.marker).toBe(true);
  });

  test("clear() drops a partial frame and starts a new talk spurt", () => {
    const out = outbound();
    const t = new Target();
    out.send(frame(20), [t]);
    out.send(frame(15), [t]); // odd size: held back
    expect(t.packets).toHaveLength(1);
    out.clear();
    vi.advanceTimersByTime(20);
    out.send(frame(20), [t]);
    expect(t.packets).toHaveLength(2);
    expect(t.packets[1]!.marker).toBe(true);
  });

  test("odd frame sizes are gathered into 20 ms packets; 10 ms frames go as they are", () => {
    const out = outbound();
    const t = new Target();
    out.send(frame(15), [t]);
    out.send(frame(15), [t]);
    out.send(frame(10), [t]);
    expect(t.packets).toHaveLength(2);
    expect((t.packets[1]!.timestamp - t.packets[0]!.timestamp) >>> 0).toBe(960);
    const single = new Target();
    const out10 = outbound();
    out10.send(frame(10), [single]);
    expect(single.packets).toHaveLength(1);
  });

  test("other Opus rates and stereo are accepted; a non-Opus rate is refused with a hint", () => {
    const out = outbound();
    const t = new Target();
    out.send(frame(20, 16000), [t]);
    out.send(frame(20, 48000, 2), [t]);
    expect(t.packets).toHaveLength(2);
    expect((t.packets[1]!.timestamp - t.packets[0]!.timestamp) >>> 0).toBe(960);
    expect(() => out.send(frame(20, 44100), [t])).toThrow(/resample/);
  });

  test("with nobody listening nothing is encoded; the next listener's first packet starts a talk spurt", () => {
    const out = outbound();
    out.send(frame(20), []);
    expect(out.packetsSent).toBe(0);
    const t = new Target();
    vi.advanceTimersByTime(20);
    out.send(frame(20), [t]);
    expect(t.packets[0]!.marker).toBe(true);
  });

  test("each browser gets its own payload type, one encode for all", () => {
    const out = outbound();
    const a = new Target(111);
    const b = new Target(109);
    out.send(frame(20), [a, b]);
    expect(a.packets[0]!.payloadType).toBe(111);
    expect(b.packets[0]!.payloadType).toBe(109);
    expect([...a.packets[0]!.payload]).toEqual([...b.packets[0]!.payload]);
  });
});
