// The RTCP feedback a video receiver sends: a Picture Loss Indication (RFC 4585 §6.3.1) asks the
// sender for a keyframe (when a consumer starts watching, or after a loss).

/** An RTCP PLI from `senderSsrc` about the media stream `mediaSsrc` (12 bytes). */
export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const out = Buffer.alloc(12);
  out[0] = 0x80 | 1; // V=2, P=0, FMT=1 (PLI)
  out[1] = 206; // PT=PSFB
  out.writeUInt16BE(2, 2); // length in 32-bit words minus one
  out.writeUInt32BE(senderSsrc >>> 0, 4);
  out.writeUInt32BE(mediaSsrc >>> 0, 8);
  return out;
}
