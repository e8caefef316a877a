// The agent's own video track: RGB pictures in, VP8 RTP out (encoded off the event loop by
// libvpx, split into packets by RFC 7741's rules). A picture that arrives while the previous one
// is still being encoded is dropped: a track that falls behind skips, it never queues.
import type { VideoFrame, VideoPublication } from "@callwright/spec";
import { buildRtp } from "../rtp.js";
import { rgbToI420 } from "./image.js";
import { packetizeVp8, VIDEO_RTP_CLOCK_HZ } from "./vp8-rtp.js";
import { Vp8Encoder } from "./vpx.js";

export interface VideoSenderOptions {
  widthPx: number;
  heightPx: number;
  fps: number;
  vp8PayloadType: number;
  ssrc: number;
  /** Sends one RTP packet to every peer that gets this track. */
  sendRtp: (packet: Uint8Array) => void;
  bitrateKbps?: number;
  onError?: (error: Error) => void;
}

export class VideoSender implements VideoPublication {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly #options: VideoSenderOptions;
  readonly #encoder: Promise<Vp8Encoder>;
  readonly #startedAtMs = performance.now();
  readonly #timestampBase = Math.floor(Math.random() * 0xffffffff);
  #sequence = Math.floor(Math.random() * 0xffff);
  #busy = false;
  #keyframeWanted = true;
  #closed = false;
  framesSent = 0;
  framesDropped = 0;

  constructor(options: VideoSenderOptions) {
    if (options.widthPx % 2 !== 0 || options.heightPx % 2 !== 0) {
      throw new RangeError(`a video track needs an even size, got ${options.widthPx}x${options.heightPx}`);
    }
    this.#options = options;
    this.widthPx = options.widthPx;
    this.heightPx = options.heightPx;
    this.#encoder = Vp8Encoder.create({
      widthPx: options.widthPx,
      heightPx: options.heightPx,
      bitrateKbps: options.bitrateKbps ?? 600,
      keyframeIntervalFrames: Math.max(1, Math.round(options.fps * 4)),
    });
    this.#encoder.catch((error) => options.onError?.(error));
  }

  /** The next frame goes out as a keyframe (a new viewer joined, or one lost packets). */
  requestKeyframe(): void {
    this.#keyframeWanted = true;
  }

  sendFrame(frame: VideoFrame): void {
    if (this.#closed) return;
    if (this.#busy) {
      this.framesDropped += 1;
      return;
    }
    this.#busy = true;
    void this.#send(frame).finally(() => {
      this.#busy = false;
    });
  }

  async #send(frame: VideoFrame): Promise<void> {
    try {
      const encoder = await this.#encoder;
      const image = rgbToI420(frame, this.widthPx, this.heightPx);
      const timestamp =
        (this.#timestampBase +
          Math.round(((performance.now() - this.#startedAtMs) * VIDEO_RTP_CLOCK_HZ) / 1000)) >>>
        0;
      const keyframe = this.#keyframeWanted;
      this.#keyframeWanted = false;
      const encoded = await encoder.encode(image, { keyframe, rtpTimestamp: timestamp });
      if (this.#closed) return;
      for (const { data } of encoded) {
        const payloads = packetizeVp8(data);
        payloads.forEach((payload, i) => {
          this.#sequence = (this.#sequence + 1) & 0xffff;
          this.#options.sendRtp(
            buildRtp({
              payloadType: this.#options.vp8PayloadType,
              marker: i === payloads.length - 1,
              sequenceNumber: this.#sequence,
              timestamp,
              ssrc: this.#options.ssrc,
              payload,
            }),
          );
        });
        this.framesSent += 1;
      }
    } catch (error) {
      this.#options.onError?.(error as Error);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#encoder.then((e) => e.close()).catch(() => {});
  }
}
