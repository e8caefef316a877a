// One browser in a local call: its WebRTC peer, the Opus audio it sends (reordered, concealed,
// decoded to PCM), the data channel the page listens on, and the timers that notice a browser
// that went away without saying so.
import {
  InboundOpus,
  isRtcp,
  type JitterBuffer,
  parseRtp,
  type RtcPeer,
  type RtcPeerState,
  VideoReceiver,
} from "@callwright/webrtc";
import {
  type AudioFrame,
  audioFrame,
  type Logger,
  type Participant,
  type VideoSource,
  type VideoState,
} from "callwright";
import type { CallHubTimingOptions } from "./options.js";

/** Largest data-channel message from a page we read; longer ones are ignored. */
export const MAX_PAGE_MESSAGE_BYTES = 4096;

export type LeaveReason = "left" | "timeout" | "removed";

export interface BrowserPeerHooks {
  /** The browser's media is flowing: it is now in the call. */
  onJoined(peer: BrowserPeer): void;
  onAudio(peer: BrowserPeer, frame: AudioFrame): void;
  /** The browser is gone (closed, failed, timed out); called once, not after `close()`. */
  onGone(peer: BrowserPeer, reason: LeaveReason): void;
  /** The data channel opened: a good moment to tell the page what it missed. */
  onDataOpen(peer: BrowserPeer): void;
  /** The browser's video went on or off (packets flowing, and what the page says it shows). */
  onVideoState(peer: BrowserPeer, state: VideoState): void;
  /** The browser asked for a keyframe of the agent's video (RTCP PLI or FIR). */
  onKeyframeRequest(peer: BrowserPeer): void;
}

export interface BrowserPeerOptions {
  participant: Participant;
  rtc: RtcPeer;
  opusPayloadType: number;
  /** The answered video section's VP8 payload type; undefined: no video. */
  vp8PayloadType: number | undefined;
  /** The SSRC the server's RTCP (keyframe requests) is sent from. */
  rtcpSsrc: number;
  decodeRateHz: 16000 | 48000;
  timing: Pick<CallHubTimingOptions, "connectTimeoutMs" | "disconnectGraceMs" | "mediaTimeoutMs">;
  hooks: BrowserPeerHooks;
  /** Where to log (asked each time: the call's logger changes when an agent joins). */
  logger: () => Logger;
}

export class BrowserPeer {
  readonly participant: Participant;
  readonly opusPayloadType: number;
  readonly vp8PayloadType: number | undefined;
  /** performance.now() when the offer was answered. */
  readonly createdAtMs = performance.now();
  joinedAtMs: number | undefined;
  ignoredMessages = 0;
  readonly #rtc: RtcPeer;
  readonly #inbound: InboundOpus;
  /** The browser's video; undefined when its offer had none. */
  readonly video: VideoReceiver | undefined;
  /** What the page says its video shows (it may say so before packets flow). */
  #videoSource: VideoSource | "none" = "unknown";
  readonly #hooks: BrowserPeerHooks;
  readonly #logger: () => Logger;
  readonly #timing: BrowserPeerOptions["timing"];
  #lastMediaMs = performance.now();
  #connectTimer: NodeJS.Timeout | undefined;
  #disconnectTimer: NodeJS.Timeout | undefined;
  #mediaTimer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(options: BrowserPeerOptions) {
    this.participant = options.participant;
    this.opusPayloadType = options.opusPayloadType;
    this.vp8PayloadType = options.vp8PayloadType;
    this.#rtc = options.rtc;
    this.#hooks = options.hooks;
    this.#logger = options.logger;
    this.#timing = options.timing;
    this.#inbound = new InboundOpus({
      opusPayloadType: options.opusPayloadType,
      decodeRateHz: options.decodeRateHz,
    });
    if (options.vp8PayloadType !== undefined) {
      this.video = new VideoReceiver({
        vp8PayloadType: options.vp8PayloadType,
        localSsrc: options.rtcpSsrc,
        sendRtcp: (packet) => this.#rtc.sendVideo(packet),
        onActive: () => this.#hooks.onVideoState(this, this.videoState),
        onError: (error) =>
          this.#logger().debug(
            { participant_id: this.participant.id, err: error },
            "a video frame was not decoded",
          ),
      });
    }
    this.#connectTimer = setTimeout(
      () => this.#gone("timeout", "never connected"),
      this.#timing.connectTimeoutMs,
    );
    this.#rtc.on("media_open", () => this.#onMediaOpen());
    this.#rtc.on("rtp", (packet) => this.#onRtp(packet));
    this.#rtc.on("state", (state) => this.#onState(state));
    this.#rtc.on("data_open", () => this.#hooks.onDataOpen(this));
    this.#rtc.on("data", (message) => this.#onData(message));
  }

  /** The receive buffer's state and counters (received, lost, late...). */
  get jitter(): JitterBuffer {
    return this.#inbound.jitter;
  }

  /** Whether the browser sends video now, and what the page says it is. */
  get videoState(): VideoState {
    if (this.video === undefined || !this.video.active || this.#videoSource === "none")
      return { active: false };
    return { active: true, source: this.#videoSource };
  }

  /** Sends one RTP packet of the agent's video (dropped without a video track). */
  sendVideoRtp(packet: Uint8Array): boolean {
    return !this.#done && this.#rtc.sendVideo(packet);
  }

  get joined(): boolean {
    return this.joinedAtMs !== undefined && !this.#done;
  }

  /** Sends one RTP packet of the agent's audio (drops it while the track is not open). */
  sendRtp(packet: Uint8Array): boolean {
    return !this.#done && this.#rtc.sendRtp(packet);
  }

  /** Sends one message to the page, as JSON text (dropped while the data channel is not open). */
  send(message: object | string): boolean {
    return !this.#done && this.#rtc.sendData(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Ends the peer without reporting it gone (the call or a reconnect did it). Idempotent. */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#clearTimers();
    this.#rtc.close();
    this.#inbound.close();
    this.video?.close();
    const s = this.jitter.stats;
    this.#logger().debug(
      { participant_id: this.participant.id, received: s.received, lost: s.lost, late: s.late },
      "browser peer closed",
    );
  }

  #onMediaOpen(): void {
    if (this.#done || this.joinedAtMs !== undefined) return;
    this.joinedAtMs = performance.now();
    this.#lastMediaMs = this.joinedAtMs;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#armMediaTimer();
    this.#hooks.onJoined(this);
  }

  #onRtp(data: Uint8Array): void {
    if (this.#done) return;
    const now = performance.now();
    if (this.video !== undefined && data.length >= 2) {
      if (isRtcp(data)) {
        if (isKeyframeRequest(data)) this.#hooks.onKeyframeRequest(this);
        return;
      }
      if ((data[1]! & 0x7f) !== this.opusPayloadType) {
        const packet = parseRtp(data);
        if (packet !== null && this.joinedAtMs !== undefined) this.video.push(packet, now);
        return;
      }
    }
    // Reordered, concealed and decoded; null for anything that is not the browser's Opus RTP.
    const frames = this.#inbound.push(data, now);
    if (frames === null) return;
    this.#lastMediaMs = now;
    if (this.joinedAtMs === undefined) return;
    for (const pcm of frames) this.#hooks.onAudio(this, audioFrame(pcm, this.#inbound.sampleRateHz));
  }

  #onState(state: RtcPeerState): void {
    if (this.#done) return;
    if (state === "connected") {
      clearTimeout(this.#disconnectTimer);
      this.#disconnectTimer = undefined;
    } else if (state === "disconnected") {
      this.#disconnectTimer ??= setTimeout(
        () => this.#gone("timeout", "ICE disconnected"),
        this.#timing.disconnectGraceMs,
      );
    } else if (state === "failed") {
      this.#gone("timeout", "ICE/DTLS failed");
    } else if (state === "closed") {
      this.#gone("left", "peer connection closed");
    }
  }

  #onData(message: string | Uint8Array): void {
    if (this.#done) return;
    if (typeof message === "string" && message.length <= MAX_PAGE_MESSAGE_BYTES) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        parsed = undefined;
      }
      if (isPing(parsed)) {
        this.send({ type: "pong", t: parsed.t });
        return;
      }
      const source = videoSourceMessage(parsed);
      if (source !== undefined) {
        const before = this.videoState;
        this.#videoSource = source;
        const after = this.videoState;
        if (
          before.active !== after.active ||
          (before.active && after.active && before.source !== after.source)
        ) {
          this.#hooks.onVideoState(this, after);
        }
        return;
      }
    }
    this.ignoredMessages += 1;
    // Rate-limited: a hostile page must not flood the logs.
    if (this.ignoredMessages <= 5 || this.ignoredMessages % 1000 === 0) {
      const bytes = typeof message === "string" ? Buffer.byteLength(message) : message.byteLength;
      const excerpt = typeof message === "string" ? message.slice(0, 80) : `<${bytes} binary bytes>`;
      this.#logger().warn(
        { participant_id: this.participant.id, bytes, excerpt, ignored: this.ignoredMessages },
        "ignored a data-channel message the local edge does not understand",
      );
    }
  }

  #armMediaTimer(): void {
    const check = () => {
      const silentMs = performance.now() - this.#lastMediaMs;
      if (silentMs >= this.#timing.mediaTimeoutMs) {
        this.#gone("timeout", `no audio packet for ${Math.round(silentMs)} ms`);
        return;
      }
      this.#mediaTimer = setTimeout(check, this.#timing.mediaTimeoutMs - silentMs + 5);
    };
    this.#mediaTimer = setTimeout(check, this.#timing.mediaTimeoutMs);
  }

  #gone(reason: LeaveReason, why: string): void {
    if (this.#done) return;
    this.#logger().info({ participant_id: this.participant.id, reason, why }, "browser left the call");
    this.close();
    this.#hooks.onGone(this, reason);
  }

  #clearTimers(): void {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#disconnectTimer);
    clearTimeout(this.#mediaTimer);
    this.#connectTimer = this.#disconnectTimer = this.#mediaTimer = undefined;
  }
}

/** An RTCP compound packet holding a PLI (PSFB FMT 1) or a FIR (PSFB FMT 4). */
function isKeyframeRequest(data: Uint8Array): boolean {
  let offset = 0;
  while (offset + 4 <= data.length) {
    const fmt = data[offset]! & 0x1f;
    const pt = data[offset + 1]!;
    if (pt === 206 && (fmt === 1 || fmt === 4)) return true;
    offset += ((data[offset + 2]! << 8) | data[offset + 3]!) * 4 + 4;
  }
  return false;
}

/** `{"type":"video","source":"camera"|"screen"|"none"}` from the page. */
function videoSourceMessage(value: unknown): VideoSource | "none" | undefined {
  if (typeof value !== "object" || value === null || (value as { type?: unknown }).type !== "video")
    return undefined;
  const source = (value as { source?: unknown }).source;
  return source === "camera" || source === "screen" || source === "none" ? source : undefined;
}

function isPing(value: unknown): value is { type: "ping"; t: number } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "ping" &&
    typeof (value as { t?: unknown }).t === "number"
  );
}
