// Video costs, one line: decoding one 640×480 VP8 frame (libvpx, off the event loop) and turning
// it into RGB, JPEG for the model (sharp), the frames a 1 fps watcher costs per minute, and the
// CPU of a participant whose camera is on while nobody watches (the receiver only checks headers).
import type { RtpPacket } from "@callwright/webrtc";
import {
  i420ToRgb,
  packetizeVp8,
  rgbToI420,
  VideoReceiver,
  Vp8Decoder,
  Vp8Encoder,
} from "@callwright/webrtc";
import { encodeJpeg, videoFrame } from "callwright";

const W = 640;
const H = 480;
const FPS = 30;

/** A moving picture: a gradient with a bar sliding across (so inter frames carry work). */
function picture(i: number): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const bar = Math.abs(x - ((i * 8) % W)) < 40;
      data[o] = bar ? 240 : (x * 255) / W;
      data[o + 1] = (y * 255) / H;
      data[o + 2] = bar ? 30 : 128;
    }
  }
  return data;
}

const encoder = await Vp8Encoder.create({ widthPx: W, heightPx: H, bitrateKbps: 800 });
const frames: { data: Uint8Array; keyframe: boolean }[] = [];
for (let i = 0; i < 90; i++) {
  const out = await encoder.encode(rgbToI420({ widthPx: W, heightPx: H, data: picture(i) }), {
    keyframe: i % 30 === 0,
    rtpTimestamp: i * 3000,
  });
  frames.push(...out);
}

// 1. Decode + conversion per frame.
const decoder = await Vp8Decoder.create();
let decodeMs = 0;
let convertMs = 0;
let jpegMs = 0;
let lastImage: Awaited<ReturnType<Vp8Decoder["decode"]>> = null;
for (const [i, f] of frames.entries()) {
  const t0 = performance.now();
  const image = await decoder.decode(f.data);
  const t1 = performance.now();
  if (image !== null && i >= 30) {
    decodeMs += t1 - t0;
    const t2 = performance.now();
    i420ToRgb(image, W);
    convertMs += performance.now() - t2;
  }
  lastImage = image;
}
decoder.close();
const measured = frames.length - 30;
const rgb = i420ToRgb(lastImage!, W);
for (let i = 0; i < 5; i++) await encodeJpeg(videoFrame(rgb.data, rgb.widthPx, rgb.heightPx));
const JPEGS = 20;
for (let i = 0; i < JPEGS; i++) {
  const t0 = performance.now();
  await encodeJpeg(videoFrame(rgb.data, rgb.widthPx, rgb.heightPx));
  jpegMs += performance.now() - t0;
}

// 2 and 3. Live streams at 30 fps for a few seconds: a 1 fps watcher (PLIs answered with a
// keyframe, as a browser does), and a participant nobody watches.
function packetsOf(f: { data: Uint8Array }, seq: number, ts: number): RtpPacket[] {
  const payloads = packetizeVp8(f.data);
  return payloads.map((payload, j) => ({
    payloadType: 96,
    marker: j === payloads.length - 1,
    sequenceNumber: (seq + j) & 0xffff,
    timestamp: ts,
    ssrc: 5,
    payload,
  }));
}

async function live(
  watch: boolean,
  seconds: number,
): Promise<{ cpuPct: number; delivered: number; decoded: number }> {
  let keyframeAsked = false;
  const receiver = new VideoReceiver({
    vp8PayloadType: 96,
    localSsrc: 1,
    sendRtcp: () => (keyframeAsked = true),
  });
  let delivered = 0;
  const subscription = watch ? receiver.subscribe({ fps: 1, widthPx: 640 }, () => delivered++) : undefined;
  const inter = frames.filter((f) => !f.keyframe);
  const key = frames.find((f) => f.keyframe)!;
  let seq = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; performance.now() - start < seconds * 1000; i++) {
    const f = keyframeAsked ? key : inter[i % inter.length]!;
    keyframeAsked = false;
    const packets = packetsOf(f, seq, i * 3000);
    seq += packets.length;
    for (const p of packets) receiver.push(p);
    const due = start + ((i + 1) * 1000) / FPS;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await receiver.drained();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - start;
  subscription?.close();
  receiver.close();
  return {
    cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    delivered,
    decoded: receiver.stats.framesDecoded,
  };
}

const SECONDS = 6;
const idle = await live(false, SECONDS);
const watched = await live(true, SECONDS);
encoder.close();

console.log(
  `video: 640x480 VP8 decode ${(decodeMs / measured).toFixed(2)} ms/frame (libvpx, worker thread) + RGB ${(convertMs / measured).toFixed(2)} ms, JPEG ${(jpegMs / JPEGS).toFixed(1)} ms (sharp); ` +
    `to the model: 1 frame per user turn (default), ${Math.round((watched.delivered * 60) / SECONDS)}/min for a 1 fps processor (${watched.decoded} decoded of ${SECONDS * FPS} received, ${watched.cpuPct.toFixed(1)}% CPU); ` +
    `camera on, nobody watching: ${idle.cpuPct.toFixed(2)}% of a core, ${idle.decoded} frames decoded`,
);
