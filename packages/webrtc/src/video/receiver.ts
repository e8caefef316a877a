// One participant's incoming video: VP8 RTP in, decoded RGB frames out, but only while someone
// is subscribed. With nobody watching, a packet costs a header check. A subscriber at a low rate
// (<= `keyframeModeMaxFps`) is served from keyframes the receiver asks for (RTCP PLI), one per
// frame wanted, so only those are decoded; a faster one makes the receiver decode every frame.
import type { VideoFrame, VideoSubscribeOptions, VideoSubscription } from "@callwright/spec";
import { videoFrame } from "@callwright/spec";
import type { RtpPacket } from "../rtp.js";
import { i420ToRgb } from "./image.js";
import { buildPli } from "./rtcp.js";
import { Vp8Depacketizer, type Vp8Frame } from "./vp8-rtp.js";
import { Vp8Decoder as Decoder, type Vp8Decoder } from "./vpx.js";

export interface VideoReceiverOptions {
  vp8PayloadType: number;
  /** Sends one RTCP packet to the sender (a PLI); false when it could not be sent. */
  sendRtcp: (packet: Uint8Array) => boolean;
  /** The SSRC our RTCP is sent from. */
  localSsrc: number;
  /** Subscribers up to this rate are served from requested keyframes. Default 2. */
  keyframeModeMaxFps?: number;
  /** Least time between two keyframe requests. Default 200 ms. */
  minKeyframeRequestIntervalMs?: number;
  /** Video counts as off after this long without a packet. Default 2000 ms. */
  inactiveAfterMs?: number;
  /** Video went on (packets flow) or off. */
  onActive?: (active: boolean) => void;
  /** A frame could not be decoded (the receiver asks for a keyframe and goes on). */
  onError?: (error: Error) => void;
  /** Makes the decoder (tests inject one). Default libvpx. */
  createDecoder?: () => Promise<Pick<Vp8Decoder, "decode" | "close">>;
}

export interface VideoReceiverStats {
  packets: number;
  framesDecoded: number;
  /** Time inside the decoder and the colour conversion, summed. */
  decodeMsTotal: number;
  convertMsTotal: number;
  framesDelivered: number;
  keyframeRequests: number;
  decodeErrors: number;
}

interface Subscriber {
  fps: number;
  widthPx: number | undefined;
  onFrame: (frame: VideoFrame) => void;
  /** RTP timestamp (90 kHz capture clock) of the last frame it got. */
  lastRtpTimestamp: number | undefined;
}

const MAX_QUEUED_FRAMES = 8;

export class VideoReceiver {
  readonly stats: VideoReceiverStats = {
    packets: 0,
    framesDecoded: 0,
    decodeMsTotal: 0,
    convertMsTotal: 0,
    framesDelivered: 0,
    keyframeRequests: 0,
    decodeErrors: 0,
  };
  readonly #options: Required<
    Pick<VideoReceiverOptions, "keyframeModeMaxFps" | "minKeyframeRequestIntervalMs" | "inactiveAfterMs">
  > &
    VideoReceiverOptions;
  readonly #depacketizer = new Vp8Depacketizer();
  readonly #subscribers = new Set<Subscriber>();
  #remoteSsrc: number | undefined;
  #active = false;
  #lastPacketAtMs = 0;
  #activityTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  /** Keyframe mode: a frame is wanted (a keyframe was asked for). */
  #wanted = false;
  #lastPliAtMs = Number.NEGATIVE_INFINITY;
  #decoder: Promise<Pick<Vp8Decoder, "decode" | "close">> | undefined;
  readonly #queue: Vp8Frame[] = [];
  #decoding: Promise<void> | undefined;
  #closed = false;

  constructor(options: VideoReceiverOptions) {
    this.#options = {
      keyframeModeMaxFps: 2,
      minKeyframeRequestIntervalMs: 200,
      inactiveAfterMs: 2000,
      ...options,
    };
  }

  /** Whether video packets are flowing now. */
  get active(): boolean {
    return this.#active;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** One RTP packet of the peer's; false when it is not this receiver's (another payload type). */
  push(packet: RtpPacket, nowMs: number = performance.now()): boolean {
    if (this.#closed || packet.payloadType !== this.#options.vp8PayloadType) return false;
    this.stats.packets += 1;
    this.#remoteSsrc = packet.ssrc;
    this.#lastPacketAtMs = nowMs;
    if (!this.#active) this.#setActive(true);
    if (this.#subscribers.size === 0) return true;
    const result = this.#depacketizer.push(packet);
    if (result === null) return true;
    if (result.type === "lost") {
      this.#requestKeyframe(nowMs);
      return true;
    }
    this.#onFrame(result.frame, nowMs);
    return true;
  }

  subscribe(options: VideoSubscribeOptions, onFrame: (frame: VideoFrame) => void): VideoSubscription {
    if (!(options.fps > 0) || !Number.isFinite(options.fps)) {
      throw new RangeError(`fps must be a positive number, got ${options.fps}`);
    }
    if (options.widthPx !== undefined && !(options.widthPx >= 2)) {
      throw new RangeError(`widthPx must be at least 2, got ${options.widthPx}`);
    }
    const wasContinuous = this.#continuous();
    const subscriber: Subscriber = {
      fps: options.fps,
      widthPx: options.widthPx,
      onFrame,
      lastRtpTimestamp: undefined,
    };
    if (this.#closed) return { close() {} };
    if (this.#subscribers.size === 0) this.#depacketizer.reset();
    this.#subscribers.add(subscriber);
    if (this.#continuous() !== wasContinuous) this.#depacketizer.reset();
    this.#decoder ??= (this.#options.createDecoder ?? (() => Decoder.create()))();
    this.#decoder.catch((error) => this.#options.onError?.(error));
    this.#wanted = true;
    this.#requestKeyframe(performance.now(), true);
    this.#schedule();
    return {
      close: () => {
        if (!this.#subscribers.delete(subscriber)) return;
        if (this.#subscribers.size === 0) {
          this.#depacketizer.reset();
          this.#queue.length = 0;
          this.#wanted = false;
        }
        this.#schedule();
      },
    };
  }

  /** Stops everything; frees the decoder. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscribers.clear();
    this.#queue.length = 0;
    clearTimeout(this.#activityTimer);
    clearInterval(this.#tickTimer);
    this.#activityTimer = this.#tickTimer = undefined;
    this.#decoder?.then((d) => d.close()).catch(() => {});
  }

  #continuous(): boolean {
    for (const s of this.#subscribers) if (s.fps > this.#options.keyframeModeMaxFps) return true;
    return false;
  }

  /** Keyframe mode: a tick at the fastest subscriber's interval asks for the next frame. */
  #schedule(): void {
    clearInterval(this.#tickTimer);
    this.#tickTimer = undefined;
    if (this.#closed || this.#subscribers.size === 0 || this.#continuous()) return;
    let fps = 0;
    for (const s of this.#subscribers) fps = Math.max(fps, s.fps);
    this.#tickTimer = setInterval(() => {
      if (!this.#active) return;
      this.#wanted = true;
      this.#requestKeyframe(performance.now());
    }, 1000 / fps);
    this.#tickTimer.unref?.();
  }

  #onFrame(frame: Vp8Frame, nowMs: number): void {
    if (this.#continuous()) {
      if (this.#queue.length >= MAX_QUEUED_FRAMES) {
        // The decoder fell behind: start again from a keyframe rather than lag.
        this.#queue.length = 0;
        this.#depacketizer.reset();
        this.#requestKeyframe(nowMs);
        return;
      }
      this.#queue.push(frame);
    } else {
      if (!this.#wanted || !frame.keyframe) return;
      this.#wanted = false;
      this.#queue.length = 0;
      this.#queue.push(frame);
    }
    void this.#drain();
  }

  /** Resolves when every frame handed in so far is decoded (or dropped). */
  async drained(): Promise<void> {
    while (this.#decoding !== undefined) await this.#decoding;
  }

  #drain(): Promise<void> {
    this.#decoding ??= this.#decodeQueued().finally(() => {
      this.#decoding = undefined;
    });
    return this.#decoding;
  }

  async #decodeQueued(): Promise<void> {
    try {
      const decoder = await this.#decoder;
      while (decoder !== undefined && this.#queue.length > 0 && !this.#closed) {
        const frame = this.#queue.shift()!;
        const startedAt = performance.now();
        let image: Awaited<ReturnType<Vp8Decoder["decode"]>>;
        try {
          image = await decoder.decode(frame.data);
        } catch (error) {
          this.stats.decodeErrors += 1;
          this.#queue.length = 0;
          this.#depacketizer.reset();
          this.#wanted = true;
          this.#requestKeyframe(performance.now());
          this.#options.onError?.(error as Error);
          continue;
        }
        const decodedAt = performance.now();
        this.stats.framesDecoded += 1;
        this.stats.decodeMsTotal += decodedAt - startedAt;
        if (image !== null) this.#deliver(image, frame.rtpTimestamp, decodedAt);
      }
    } catch {
      // The decoder could not be made: onError was told; frames are dropped.
      this.#queue.length = 0;
    }
  }

  #deliver(image: Parameters<typeof i420ToRgb>[0], rtpTimestamp: number, nowMs: number): void {
    const keyframeMode = !this.#continuous();
    const converted = new Map<number | undefined, VideoFrame>();
    for (const s of this.#subscribers) {
      // In keyframe mode every decoded frame was asked for; otherwise keep to each one's rate,
      // on the sender's capture clock (90 kHz).
      const intervalMs = 1000 / s.fps;
      const sinceMs =
        s.lastRtpTimestamp === undefined
          ? Number.POSITIVE_INFINITY
          : ((rtpTimestamp - s.lastRtpTimestamp) >>> 0) / 90;
      if (!keyframeMode && sinceMs < intervalMs * 0.9) continue;
      let frame = converted.get(s.widthPx);
      if (frame === undefined) {
        const startedAt = performance.now();
        const rgb = i420ToRgb(image, s.widthPx);
        frame = videoFrame(rgb.data, rgb.widthPx, rgb.heightPx, nowMs);
        this.stats.convertMsTotal += performance.now() - startedAt;
        converted.set(s.widthPx, frame);
      }
      s.lastRtpTimestamp = rtpTimestamp;
      this.stats.framesDelivered += 1;
      try {
        s.onFrame(frame);
      } catch (error) {
        this.#options.onError?.(error as Error);
      }
    }
  }

  #requestKeyframe(nowMs: number, force = false): void {
    if (this.#remoteSsrc === undefined) return;
    if (!force && nowMs - this.#lastPliAtMs < this.#options.minKeyframeRequestIntervalMs) return;
    this.#lastPliAtMs = nowMs;
    this.stats.keyframeRequests += 1;
    this.#options.sendRtcp(buildPli(this.#options.localSsrc, this.#remoteSsrc));
  }

  #setActive(active: boolean): void {
    this.#active = active;
    clearTimeout(this.#activityTimer);
    this.#activityTimer = undefined;
    if (active) {
      const check = () => {
        const idleMs = performance.now() - this.#lastPacketAtMs;
        if (idleMs >= this.#options.inactiveAfterMs) {
          this.#depacketizer.reset();
          this.#setActive(false);
          return;
        }
        this.#activityTimer = setTimeout(check, this.#options.inactiveAfterMs - idleMs + 5);
        this.#activityTimer.unref?.();
      };
      this.#activityTimer = setTimeout(check, this.#options.inactiveAfterMs);
      this.#activityTimer.unref?.();
      // A subscriber waiting for the video to come on gets its keyframe now.
      if (this.#subscribers.size > 0) {
        this.#wanted = true;
        this.#requestKeyframe(performance.now(), true);
      }
    }
    this.#options.onActive?.(active);
  }
}
