// One remote Opus stream on its way to PCM: RTP is checked (payload type), a new SSRC restarts the
// stream, the jitter buffer puts packets back in order, and a lost packet is recovered from the
// next one's in-band FEC or concealed by Opus PLC, so the audio keeps its timing.
import { JitterBuffer, type JitterBufferOptions } from "./jitter-buffer.js";
import { OpusDecoder, type OpusSampleRateHz } from "./opus.js";
import { parseRtp } from "./rtp.js";

export interface InboundOpusOptions {
  /** The Opus payload type negotiated for this track; other packets are ignored. */
  opusPayloadType: number;
  /** Rate the PCM comes out at (Opus decodes straight to it). */
  decodeRateHz: OpusSampleRateHz;
  jitter?: Partial<JitterBufferOptions>;
}

export class InboundOpus {
  readonly opusPayloadType: number;
  readonly jitter: JitterBuffer;
  readonly #decoder: OpusDecoder;
  #ssrc: number | undefined;
  #closed = false;

  constructor(options: InboundOpusOptions) {
    this.opusPayloadType = options.opusPayloadType;
    this.jitter = new JitterBuffer(options.jitter);
    this.#decoder = new OpusDecoder(options.decodeRateHz);
  }

  get sampleRateHz(): OpusSampleRateHz {
    return this.#decoder.sampleRateHz;
  }

  /** The SSRC of the stream being decoded (the last one seen). */
  get ssrc(): number | undefined {
    return this.#ssrc;
  }

  /**
   * Takes one packet off the wire (RTP, or RTCP, which is ignored); returns the PCM frames (mono,
   * `sampleRateHz`) that may be played now, in order: none while a reordered packet is awaited,
   * several once a gap is filled or given up on. `null` when the packet was not Opus RTP for us.
   */
  push(data: Uint8Array, nowMs: number = performance.now()): Int16Array[] | null {
    if (this.#closed) return null;
    const packet = parseRtp(data);
    if (packet === null || packet.payloadType !== this.opusPayloadType) return null;
    if (this.#ssrc !== packet.ssrc) {
      if (this.#ssrc !== undefined) {
        // A new source on the same track (e.g. a replaced microphone): start over.
        this.jitter.reset();
        this.#decoder.reset();
      }
      this.#ssrc = packet.ssrc;
    }
    const frames: Int16Array[] = [];
    for (const out of this.jitter.push(packet.sequenceNumber, packet.payload, nowMs)) {
      let pcm: Int16Array | null;
      if (out.kind === "reset") {
        this.#decoder.reset();
        continue;
      }
      if (out.kind === "lost") {
        pcm = out.next === undefined ? this.#decoder.conceal() : this.#decoder.decodeFec(out.next);
      } else {
        pcm = this.#decoder.decode(out.payload) ?? this.#decoder.conceal();
      }
      if (pcm !== null && pcm.length > 0) frames.push(pcm);
    }
    return frames;
  }

  /** Frees the decoder. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#decoder.close();
  }
}
