import { describe, expect, it } from "vitest";
import { parseRtp, type RtpPacket } from "../rtp.js";
import { type I420Image, rgbToI420 } from "./image.js";
import { VideoReceiver } from "./receiver.js";
import { packetizeVp8, vp8KeyframeInfo } from "./vp8-rtp.js";
import { Vp8Encoder } from "./vpx.js";

const PT = 96;

function solid(widthPx: number, heightPx: number, rgb: [number, number, number]): I420Image {
  const data = new Uint8Array(widthPx * heightPx * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return rgbToI420({ widthPx, heightPx, data });
}

/** `count` frames of one colour as RTP packets (keyframe every `keyframeEvery`), small packets. */
async function encodedStream(count: number, keyframeEvery: number, rgb: [number, number, number]) {
  const encoder = await Vp8Encoder.create({ widthPx: 320, heightPx: 240, bitrateKbps: 300 });
  const frames: { packets: RtpPacket[]; keyframe: boolean }[] = [];
  let seq = 1000;
  try {
    for (let i = 0; i < count; i++) {
      // A little noise so inter frames carry data.
      const image = solid(320, 240, rgb);
      image.y[i % image.y.length] = 255;
      const ts = 3000 * i;
      const out = await encoder.encode(image, { keyframe: i % keyframeEvery === 0, rtpTimestamp: ts });
      for (const { data, keyframe } of out) {
        const payloads = packetizeVp8(data, 200);
        frames.push({
          keyframe,
          packets: payloads.map((payload, j) => ({
            payloadType: PT,
            marker: j === payloads.length - 1,
            sequenceNumber: seq++ & 0xffff,
            timestamp: ts,
            ssrc: 0x1234,
            payload,
          })),
        });
      }
    }
  } finally {
    encoder.close();
  }
  return frames;
}

function meanRgb(data: Uint8Array): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 3) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
  const n = data.length / 3;
  return sum.map((s) => Math.round(s / n)) as [number, number, number];
}

describe("VP8 video through the receiver (libvpx)", () => {
  it("decodes frames at the asked size with the sent colour", async () => {
    const stream = await encodedStream(6, 100, [200, 30, 40]);
    expect(stream[0]!.keyframe).toBe(true);
    const rtcp: Uint8Array[] = [];
    const receiver = new VideoReceiver({
      vp8PayloadType: PT,
      localSsrc: 1,
      sendRtcp: (p) => rtcp.push(p) > 0,
    });
    const frames: { w: number; h: number; rgb: [number, number, number] }[] = [];
    receiver.subscribe({ fps: 30, widthPx: 160 }, (f) =>
      frames.push({ w: f.widthPx, h: f.heightPx, rgb: meanRgb(f.data) }),
    );
    for (const f of stream) {
      for (const p of f.packets) receiver.push(p);
      await receiver.drained();
    }
    receiver.close();
    expect(frames.length).toBeGreaterThanOrEqual(5);
    expect(frames[0]).toMatchObject({ w: 160, h: 120 });
    const [r, g, b] = frames[0]!.rgb;
    expect(Math.abs(r - 200)).toBeLessThan(12);
    expect(Math.abs(g - 30)).toBeLessThan(12);
    expect(Math.abs(b - 40)).toBeLessThan(12);
  });

  it("drops frames after a lost packet, asks for a keyframe, and recovers at the next one", async () => {
    const stream = await encodedStream(20, 10, [20, 160, 60]);
    const rtcp: Uint8Array[] = [];
    const receiver = new VideoReceiver({
      vp8PayloadType: PT,
      localSsrc: 7,
      sendRtcp: (p) => rtcp.push(p) > 0,
    });
    const delivered: number[] = [];
    let index = 0;
    receiver.subscribe({ fps: 30 }, () => delivered.push(index));
    const pliBefore = rtcp.length;
    for (index = 0; index < stream.length; index++) {
      const f = stream[index]!;
      // Frame 3 loses a packet (the frame has several); frame 5 loses all of them.
      const packets = index === 3 ? f.packets.filter((_, j) => j !== 0) : index === 5 ? [] : f.packets;
      for (const p of packets) receiver.push(p);
      await receiver.drained();
    }
    receiver.close();
    expect(stream[3]!.packets.length).toBeGreaterThan(0);
    expect(delivered).toContain(2);
    for (const lost of [3, 4, 5, 6, 7, 8, 9]) expect(delivered).not.toContain(lost);
    expect(delivered).toContain(10);
    expect(delivered).toContain(19);
    const pli = rtcp.slice(pliBefore).find((p) => p[1] === 206);
    expect(pli).toBeDefined();
    expect(Buffer.from(pli!).readUInt32BE(8)).toBe(0x1234);
  });

  it("decodes nothing while nobody watches, only keyframes for a slow watcher", async () => {
    const stream = await encodedStream(12, 4, [240, 240, 240]);
    const rtcp: Uint8Array[] = [];
    const active: boolean[] = [];
    const receiver = new VideoReceiver({
      vp8PayloadType: PT,
      localSsrc: 7,
      sendRtcp: (p) => rtcp.push(p) > 0,
      onActive: (a) => active.push(a),
    });
    for (const p of stream[0]!.packets) receiver.push(p);
    await receiver.drained();
    expect(receiver.stats.framesDecoded).toBe(0);
    expect(active).toEqual([true]);
    expect(receiver.push({ ...stream[0]!.packets[0]!, payloadType: 111 })).toBe(false);
    const frames: number[] = [];
    receiver.subscribe({ fps: 1, widthPx: 64 }, (f) => frames.push(f.widthPx));
    expect(rtcp.filter((p) => p[1] === 206)).toHaveLength(1); // asked for a keyframe at once
    for (const f of stream.slice(1)) {
      for (const p of f.packets) receiver.push(p);
      await receiver.drained();
    }
    receiver.close();
    // Frames 1..11 hold keyframes at 4 and 8; only the first is wanted (one frame a second).
    expect(receiver.stats.framesDecoded).toBe(1);
    expect(frames).toEqual([64]);
  });

  it("packetizes with the S bit on the first packet and the marker on the last", async () => {
    const stream = await encodedStream(1, 1, [0, 0, 255]);
    const packets = stream[0]!.packets;
    expect(packets.length).toBeGreaterThan(1);
    expect(packets[0]!.payload[0]).toBe(0x10);
    expect(packets.slice(1).every((p) => p.payload[0] === 0)).toBe(true);
    expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
    const whole = Buffer.concat(packets.map((p) => p.payload.subarray(1)));
    expect(vp8KeyframeInfo(whole)).toEqual({ widthPx: 320, heightPx: 240 });
    expect(parseRtp(new Uint8Array([0x80]))).toBeNull();
  });
});
