// VP8 over RTP (RFC 7741): the payload descriptor, a depacketizer that puts a frame back together
// from its packets (and says when one was lost), and a packetizer for the agent's own video.
import type { RtpPacket } from "../rtp.js";
import { seqDelta } from "../rtp.js";

/** RTP clock of every video codec in WebRTC. */
export const VIDEO_RTP_CLOCK_HZ = 90_000;

export interface Vp8Descriptor {
  /** First packet of a VP8 partition (S bit). */
  start: boolean;
  /** Partition index (PID); 0 is the frame's first partition. */
  partitionIndex: number;
  /** Bytes of descriptor before the VP8 data. */
  headerBytes: number;
}

/** Parses a VP8 payload descriptor (RFC 7741 §4.2); null when the payload is too short for it. */
export function parseVp8Descriptor(payload: Uint8Array): Vp8Descriptor | null {
  if (payload.length < 1) return null;
  const b0 = payload[0]!;
  let offset = 1;
  if ((b0 & 0x80) !== 0) {
    // X: an extension byte with I, L, T, K flags.
    const x = payload[offset];
    if (x === undefined) return null;
    offset += 1;
    if ((x & 0x80) !== 0) {
      // I: PictureID, 7 or 15 bits (M bit).
      const p = payload[offset];
      if (p === undefined) return null;
      offset += (p & 0x80) !== 0 ? 2 : 1;
    }
    if ((x & 0x40) !== 0) offset += 1; // L: TL0PICIDX
    if ((x & 0x30) !== 0) offset += 1; // T or K: TID/Y/KEYIDX
  }
  if (offset > payload.length) return null;
  return { start: (b0 & 0x10) !== 0, partitionIndex: b0 & 0x07, headerBytes: offset };
}

/** Whether a whole VP8 frame (its first bytes) is a keyframe, and its size if it is. */
export function vp8KeyframeInfo(frame: Uint8Array): { widthPx: number; heightPx: number } | null {
  if (frame.length < 10 || (frame[0]! & 0x01) !== 0) return null;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return null;
  return {
    widthPx: (frame[6]! | (frame[7]! << 8)) & 0x3fff,
    heightPx: (frame[8]! | (frame[9]! << 8)) & 0x3fff,
  };
}

/** One VP8 frame put back together. */
export interface Vp8Frame {
  data: Uint8Array;
  keyframe: boolean;
  rtpTimestamp: number;
}

export interface Vp8DepacketizerStats {
  frames: number;
  keyframes: number;
  /** Frames given up because a packet of theirs never came. */
  broken: number;
}

/**
 * Puts VP8 frames back together from RTP packets in arrival order. A frame is complete when its
 * first packet (S=1, PID=0) through the one with the marker bit arrived with no sequence gap.
 * A gap loses the frame, and every frame after it up to the next keyframe (they refer to what
 * was lost): `push` then returns `{ type: "lost" }` once, so the receiver can ask for a keyframe.
 */
export class Vp8Depacketizer {
  readonly stats: Vp8DepacketizerStats = { frames: 0, keyframes: 0, broken: 0 };
  #parts: Uint8Array[] = [];
  #timestamp: number | undefined;
  #lastSeq: number | undefined;
  #started = false;
  /** A frame was lost: inter frames are useless until a keyframe comes. */
  #needKeyframe = true;

  /** Whether the stream waits for a keyframe (at the start, and after a loss). */
  get needsKeyframe(): boolean {
    return this.#needKeyframe;
  }

  /** Forgets any partial frame and waits for a keyframe (e.g. when nobody watched for a while). */
  reset(): void {
    this.#parts = [];
    this.#timestamp = undefined;
    this.#started = false;
    this.#lastSeq = undefined;
    this.#needKeyframe = true;
  }

  push(packet: RtpPacket): { type: "frame"; frame: Vp8Frame } | { type: "lost" } | null {
    const descriptor = parseVp8Descriptor(packet.payload);
    if (descriptor === null) return null;
    let lost = false;
    if (this.#lastSeq !== undefined) {
      const delta = seqDelta(this.#lastSeq, packet.sequenceNumber);
      if (delta <= 0) return null; // a duplicate or a late packet: its frame is gone already
      if (delta > 1) lost = true;
    }
    this.#lastSeq = packet.sequenceNumber;
    if (this.#timestamp !== packet.timestamp) {
      // A new frame began: whatever was collected without its marker is incomplete.
      if (this.#parts.length > 0) lost = true;
      this.#parts = [];
      this.#started = false;
      this.#timestamp = packet.timestamp;
    } else if (lost) {
      this.#parts = [];
      this.#started = false;
    }
    let lostReported = false;
    if (lost) {
      this.stats.broken += 1;
      if (!this.#needKeyframe) lostReported = true;
      this.#needKeyframe = true;
    }
    if (descriptor.start && descriptor.partitionIndex === 0) {
      this.#parts = [];
      this.#started = true;
    }
    if (this.#started) this.#parts.push(packet.payload.subarray(descriptor.headerBytes));
    if (!packet.marker || !this.#started) return lostReported ? { type: "lost" } : null;
    const data = concat(this.#parts);
    this.#parts = [];
    this.#started = false;
    const keyframe = vp8KeyframeInfo(data) !== null;
    if (!keyframe && this.#needKeyframe) return lostReported ? { type: "lost" } : null;
    if (keyframe) {
      this.#needKeyframe = false;
      this.stats.keyframes += 1;
    }
    this.stats.frames += 1;
    return { type: "frame", frame: { data, keyframe, rtpTimestamp: packet.timestamp } };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!.slice();
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Splits one VP8 frame into RTP payloads of at most `maxPayloadBytes` (descriptor included). */
export function packetizeVp8(frame: Uint8Array, maxPayloadBytes = 1200): Uint8Array[] {
  const room = maxPayloadBytes - 1;
  if (room < 1) throw new RangeError(`maxPayloadBytes must be at least 2, got ${maxPayloadBytes}`);
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < frame.length || out.length === 0; offset += room) {
    const chunk = frame.subarray(offset, Math.min(frame.length, offset + room));
    const payload = new Uint8Array(1 + chunk.length);
    payload[0] = offset === 0 ? 0x10 : 0x00; // S on the first packet, PID 0, no extensions
    payload.set(chunk, 1);
    out.push(payload);
  }
  return out;
}
