// One browser in a local call: its WebRTC peer, the Opus audio it sends (reordered, concealed,
// decoded to PCM), the data channel the page listens on, and the timers that notice a browser
// that went away without saying so.
import { InboundOpus, type JitterBuffer, type RtcPeer, type RtcPeerState } from "@callwright/webrtc";
import { type AudioFrame, audioFrame, type Logger, type Participant } from "callwright";
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
}

export interface BrowserPeerOptions {
  participant: Participant;
  rtc: RtcPeer;
  opusPayloadType: number;
  decodeRateHz: 16000 | 48000;
  timing: Pick<CallHubTimingOptions, "connectTimeoutMs" | "disconnectGraceMs" | "mediaTimeoutMs">;
  hooks: BrowserPeerHooks;
  /** Where to log (asked each time: the call's logger changes when an agent joins). */
  logger: () => Logger;
}

export class BrowserPeer {
  readonly participant: Participant;
  readonly opusPayloadType: number;
  /** performance.now() when the offer was answered. */
  readonly createdAtMs = performance.now();
  joinedAtMs: number | undefined;
  ignoredMessages = 0;
  readonly #rtc: RtcPeer;
  readonly #inbound: InboundOpus;
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
    this.#rtc = options.rtc;
    this.#hooks = options.hooks;
    this.#logger = options.logger;
    this.#timing = options.timing;
    this.#inbound = new InboundOpus({
      opusPayloadType: options.opusPayloadType,
      decodeRateHz: options.decodeRateHz,
    });
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

function isPing(value: unknown): value is { type: "ping"; t: number } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "ping" &&
    typeof (value as { t?: unknown }).t === "number"
  );
}
