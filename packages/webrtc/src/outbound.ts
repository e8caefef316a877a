// The agent's voice on its way to the peers of one call (browsers, or an SFU): each frame is Opus-encoded and sent
// at once as RTP (the voice loop already paces frames in real time). Sequence numbers and
// timestamps only grow; across a silence the timestamp advances by the wall-clock gap and the
// first packet of the new talk spurt carries the marker bit, so the browser's jitter buffer
// keeps its timing right.
import { randomInt } from "node:crypto";
import type { AudioFrame } from "@callwright/spec";
import { OPUS_RTP_CLOCK_HZ, OPUS_SAMPLE_RATES, OpusEncoder, type OpusSampleRateHz } from "./opus.js";
import { buildRtp } from "./rtp.js";

export interface OutboundAudioOptions {
  bitrateBps: number;
  complexity: number;
  /** A frame arriving this much later than the previous one ended starts a new talk spurt. */
  gapMs: number;
}

/** Somewhere RTP can go (one browser's audio track). */
export interface RtpTarget {
  readonly opusPayloadType: number;
  sendRtp(packet: Uint8Array): boolean;
}

/** Opus frame lengths in ms that may be encoded as they are. */
const OPUS_FRAME_MS = [10, 20, 40, 60];

export class OutboundAudio {
  /** The SSRC every browser of the call sees the agent's audio under. */
  readonly ssrc = randomInt(1, 0xffffffff);
  readonly #options: OutboundAudioOptions;
  #encoder: OpusEncoder | undefined;
  #sequence = randomInt(0, 0x10000);
  #timestamp = randomInt(0, 0x100000000);
  /** Wall time (performance.now) at which the audio sent so far ends, if played without gaps. */
  #audioEndMs: number | undefined;
  #marker = true;
  /** Samples waiting to make up a whole Opus frame (only for odd-sized frames). */
  #pending: Int16Array = new Int16Array(0);
  #pendingRateHz = 0;
  packetsSent = 0;

  constructor(options: OutboundAudioOptions) {
    this.#options = options;
  }

  /**
   * Encodes `frame` (mono or interleaved, any Opus rate) and sends it to every target now. With
   * no target nothing is encoded (no CPU spent on audio nobody hears).
   */
  send(frame: AudioFrame, targets: readonly RtpTarget[]): void {
    const rate = frame.sampleRateHz;
    if (!OPUS_SAMPLE_RATES.includes(rate)) {
      throw new RangeError(
        `WebRTC audio is Opus here, which takes 8000, 12000, 16000, 24000 or 48000 Hz; got a ${rate} Hz frame (resample first)`,
      );
    }
    if (targets.length === 0) {
      this.clear();
      return;
    }
    const mono = frame.channels === 1 ? frame.samples : downmix(frame.samples, frame.channels);
    if (mono.length === 0) return;
    if (this.#pendingRateHz !== rate) {
      this.#pending = new Int16Array(0);
      this.#pendingRateHz = rate;
    }
    const ms = (mono.length * 1000) / rate;
    if (this.#pending.length === 0 && OPUS_FRAME_MS.includes(ms)) {
      this.#sendChunk(mono, rate as OpusSampleRateHz, targets);
      return;
    }
    // Odd sizes: gather 20 ms chunks.
    const joined = new Int16Array(this.#pending.length + mono.length);
    joined.set(this.#pending);
    joined.set(mono, this.#pending.length);
    const chunk = rate / 50;
    let offset = 0;
    for (; offset + chunk <= joined.length; offset += chunk) {
      this.#sendChunk(joined.subarray(offset, offset + chunk), rate as OpusSampleRateHz, targets);
    }
    this.#pending = joined.slice(offset);
  }

  /** Drops anything not yet sent; the next frame starts a new talk spurt. */
  clear(): void {
    this.#pending = new Int16Array(0);
    this.#marker = true;
  }

  #sendChunk(samples: Int16Array, rate: OpusSampleRateHz, targets: readonly RtpTarget[]): void {
    if (this.#encoder === undefined || this.#encoder.sampleRateHz !== rate) {
      this.#encoder = new OpusEncoder({
        sampleRateHz: rate,
        bitrateBps: this.#options.bitrateBps,
        complexity: this.#options.complexity,
        inbandFec: true,
      });
    }
    const payload = this.#encoder.encode(samples);
    const now = performance.now();
    const durationMs = (samples.length * 1000) / rate;
    let marker = this.#marker;
    if (this.#audioEndMs !== undefined && now - this.#audioEndMs > this.#options.gapMs) {
      // A silence: move the timestamp on by its length, as if silence had been sent.
      this.#timestamp =
        (this.#timestamp + Math.round(((now - this.#audioEndMs) * OPUS_RTP_CLOCK_HZ) / 1000)) >>> 0;
      marker = true;
      this.#audioEndMs = now;
    }
    this.#audioEndMs = (this.#audioEndMs ?? now) + durationMs;
    this.#marker = false;
    const byPayloadType = new Map<number, Buffer>();
    for (const target of targets) {
      let packet = byPayloadType.get(target.opusPayloadType);
      if (packet === undefined) {
        packet = buildRtp({
          payloadType: target.opusPayloadType,
          marker,
          sequenceNumber: this.#sequence,
          timestamp: this.#timestamp,
          ssrc: this.ssrc,
          payload,
        });
        byPayloadType.set(target.opusPayloadType, packet);
      }
      target.sendRtp(packet);
    }
    this.packetsSent += 1;
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + (samples.length * OPUS_RTP_CLOCK_HZ) / rate) >>> 0;
  }
}

function downmix(samples: Int16Array, channels: number): Int16Array {
  const out = new Int16Array(Math.floor(samples.length / channels));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[i * channels + c]!;
    out[i] = Math.round(sum / channels);
  }
  return out;
}
