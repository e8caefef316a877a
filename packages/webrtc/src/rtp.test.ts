import { describe, expect, test } from "vitest";
import { buildRtp, isRtcp, parseRtp, seqDelta } from "./rtp.js";

describe("rtp", () => {
  test("a packet we build parses back to the same fields", () => {
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    const packet = buildRtp({
      payloadType: 111,
      marker: true,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      payload,
    });
    expect(packet.length).toBe(17);
    const parsed = parseRtp(packet);
    expect(parsed).toMatchObject({
      payloadType: 111,
      marker: true,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
    });
    expect([...parsed!.payload]).toEqual([1, 2, 3, 4, 5]);
  });

  test("skips CSRCs, the header extension and padding as browsers send them", () => {
    const header = [0x80 | 0x20 | 0x10 | 0x01, 111, 0, 7, 0, 0, 0, 9, 0, 0, 0, 5];
    const csrc = [0, 0, 0, 1];
    const extension = [0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0];
    const payload = [42, 43];
    const padding = [0, 0, 3];
    const parsed = parseRtp(Uint8Array.from([...header, ...csrc, ...extension, ...payload, ...padding]));
    expect(parsed?.sequenceNumber).toBe(7);
    expect([...parsed!.payload]).toEqual([42, 43]);
  });

  test("RTCP, other versions and truncated packets are not RTP", () => {
    const rtcp = Uint8Array.from([0x81, 200, 0, 6, ...new Array(24).fill(0)]);
    expect(isRtcp(rtcp)).toBe(true);
    expect(parseRtp(rtcp)).toBeNull();
    expect(parseRtp(Uint8Array.from([0x40, 111, ...new Array(10).fill(0)]))).toBeNull();
    expect(parseRtp(Uint8Array.from([0x80, 111, 0]))).toBeNull();
    // An extension that claims more bytes than there are.
    expect(parseRtp(Uint8Array.from([0x90, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 9]))).toBeNull();
  });

  test("sequence distance wraps around 16 bits", () => {
    expect(seqDelta(65535, 0)).toBe(1);
    expect(seqDelta(0, 65535)).toBe(-1);
    expect(seqDelta(100, 90)).toBe(-10);
    expect(seqDelta(10, 20)).toBe(10);
  });
});
