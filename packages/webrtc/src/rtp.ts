// RTP packets (RFC 3550) as the local edge needs them: parse what a browser sends, build what the
// agent sends. No extensions are written; the browser's (audio level, transport-cc) are skipped.

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

/** RTCP shares the port with RTP (RFC 5761): packet types 192..223 in the second byte. */
export function isRtcp(packet: Uint8Array): boolean {
  const pt = packet[1];
  return packet.length >= 2 && pt !== undefined && pt >= 192 && pt <= 223;
}

/** Parses an RTP packet; null for anything that is not one (RTCP, garbage, truncation). */
export function parseRtp(packet: Uint8Array): RtpPacket | null {
  if (packet.length < 12 || isRtcp(packet)) return null;
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const csrcCount = b0 & 0x0f;
  let offset = 12 + csrcCount * 4;
  if ((b0 & 0x10) !== 0) {
    if (packet.length < offset + 4) return null;
    const words = view.getUint16(offset + 2);
    offset += 4 + words * 4;
  }
  let end = packet.length;
  if ((b0 & 0x20) !== 0) {
    const padding = packet[end - 1]!;
    end -= padding;
  }
  if (end < offset) return null;
  const b1 = packet[1]!;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: packet.subarray(offset, end),
  };
}

/** A 12-byte-header RTP packet around `payload`. */
export function buildRtp(packet: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(12 + packet.payload.length);
  out[0] = 0x80;
  out[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  out.writeUInt16BE(packet.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(packet.timestamp >>> 0, 4);
  out.writeUInt32BE(packet.ssrc >>> 0, 8);
  out.set(packet.payload, 12);
  return out;
}

/** Signed distance a→b between 16-bit sequence numbers, across wrap-around. */
export function seqDelta(a: number, b: number): number {
  const d = (b - a) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}
