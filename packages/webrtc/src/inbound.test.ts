import { describe, expect, test } from "vitest";
import { InboundOpus } from "./inbound.js";
import { OpusEncoder } from "./opus.js";
import { buildRtp } from "./rtp.js";

const encoder = new OpusEncoder({ sampleRateHz: 48000, bitrateBps: 32000, complexity: 5, inbandFec: true });
function rtp(seq: number, ssrc = 5, payloadType = 111): Buffer {
  const pcm = new Int16Array(960);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 48000));
  return buildRtp({
    payloadType,
    marker: false,
    sequenceNumber: seq,
    timestamp: seq * 960,
    ssrc,
    payload: encoder.encode(pcm),
  });
}

describe("InboundOpus", () => {
  test("in-order packets decode at once to the asked rate; other payload types and RTCP are ignored", () => {
    const inbound = new InboundOpus({ opusPayloadType: 111, decodeRateHz: 16000 });
    expect(inbound.push(rtp(0), 0)?.map((f) => f.length)).toEqual([320]);
    expect(inbound.push(rtp(1, 5, 100), 1)).toBeNull();
    expect(inbound.push(Uint8Array.of(0x80, 200, 0, 1, 0, 0, 0, 0), 2)).toBeNull();
    expect(inbound.push(rtp(1), 20)?.length).toBe(1);
    inbound.close();
    inbound.close();
    expect(inbound.push(rtp(2), 40)).toBeNull();
  });

  test("a lost packet is filled (FEC/PLC) once later ones waited, so timing is kept", () => {
    const inbound = new InboundOpus({ opusPayloadType: 111, decodeRateHz: 48000, jitter: { maxWaitMs: 40 } });
    inbound.push(rtp(10), 0);
    expect(inbound.push(rtp(12), 20)).toEqual([]);
    const out = inbound.push(rtp(13), 60);
    expect(out?.length).toBe(3);
    expect(inbound.jitter.stats.lost).toBe(1);
  });

  test("a new SSRC restarts the stream instead of counting a huge gap as loss", () => {
    const inbound = new InboundOpus({ opusPayloadType: 111, decodeRateHz: 48000 });
    inbound.push(rtp(100, 1), 0);
    expect(inbound.push(rtp(5000, 2), 20)?.length).toBe(1);
    expect(inbound.ssrc).toBe(2);
    expect(inbound.jitter.stats.lost).toBe(0);
  });
});
