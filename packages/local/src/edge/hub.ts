// The calls this process hosts, shared by every `local.Edge` (each agent session makes its own
// Edge, but browsers and agents must meet in one place). Browsers enter through `offer()`, which
// the signalling routes call; agents through `Edge.join()`.
import { randomBytes } from "node:crypto";
import { NodeDataChannelBackend, type RtcBackend, type RtcConfig } from "@callwright/webrtc";
import { HttpError, type Logger, silentLogger } from "callwright";
import { BrowserPeer } from "./browser-peer.js";
import { LocalCall } from "./call.js";
import {
  type CallHubTimingOptions,
  defaultCallHubTimingOptions,
  defaultWebRtcOptions,
  type LocalAudioOptions,
  validateWebRtcOptions,
  type WebRtcOptions,
  webRtcOptionsFromEnv,
} from "./options.js";
import { OfferError, parseOffer, rewriteHostCandidates } from "./sdp.js";

export interface CallHubOptions extends Partial<CallHubTimingOptions> {
  webrtc?: Partial<WebRtcOptions>;
  /** The WebRTC implementation. Default node-datachannel. */
  backend?: RtcBackend;
  logger?: Logger;
}

export interface OfferRequest {
  sdp: string;
  /** Rejoin under this id (a reconnect replaces the browser's previous connection). */
  participantId?: string;
  /** Shown to the agent (e.g. in transcripts). */
  name?: string;
}

export interface OfferResult {
  sdp: string;
  participantId: string;
  /** ms from the offer's arrival to the answer (for logs and the bench). */
  answerMs: number;
}

const PARTICIPANT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export class CallHub {
  readonly timing: CallHubTimingOptions;
  readonly backend: RtcBackend;
  #webrtc: WebRtcOptions;
  #logger: Logger;
  #loggerSet: boolean;
  readonly #calls = new Map<string, LocalCall>();
  readonly #waiters = new Map<string, Set<(call: LocalCall) => void>>();

  constructor(options: CallHubOptions = {}) {
    const { webrtc, backend, logger, ...timing } = options;
    this.timing = { ...defaultCallHubTimingOptions, ...timing };
    this.#webrtc = { ...defaultWebRtcOptions, ...validateWebRtcOptions(webrtc ?? {}) };
    this.backend = backend ?? new NodeDataChannelBackend();
    this.#logger = logger ?? silentLogger;
    this.#loggerSet = logger !== undefined;
  }

  get webrtc(): Readonly<WebRtcOptions> {
    return this.#webrtc;
  }

  /** Changes the network options for browsers that join from now on. */
  configure(webrtc: Partial<WebRtcOptions>): void {
    this.#webrtc = { ...this.#webrtc, ...validateWebRtcOptions(webrtc) };
  }

  /** Gives the hub a logger unless it was created with one (the server's, when routes mount). */
  adoptLogger(logger: Logger): void {
    if (this.#loggerSet) return;
    this.#logger = logger;
    this.#loggerSet = true;
  }

  get logger(): Logger {
    return this.#logger;
  }

  warmup(): Promise<void> {
    return this.backend.warmup(this.#rtcConfig());
  }

  /** The call with this id, created if needed (its options are those of its first creator). */
  createCall(type: string, id: string, audio: LocalAudioOptions): LocalCall {
    const existing = this.#calls.get(id);
    if (existing !== undefined) return existing;
    const call: LocalCall = new LocalCall({
      type,
      id,
      audio,
      logger: this.#logger.child({ call_id: id }),
      onEnded: (ended) => {
        if (this.#calls.get(id) === ended) this.#calls.delete(id);
      },
    });
    this.#calls.set(id, call);
    const waiters = this.#waiters.get(id);
    this.#waiters.delete(id);
    for (const resolve of waiters ?? []) resolve(call);
    return call;
  }

  getCall(id: string): LocalCall | undefined {
    return this.#calls.get(id);
  }

  get calls(): ReadonlyMap<string, LocalCall> {
    return this.#calls;
  }

  /** The call, waiting up to `timeoutMs` for it to be created; undefined if it never is. */
  waitForCall(id: string, timeoutMs: number): Promise<LocalCall | undefined> {
    const call = this.#calls.get(id);
    if (call !== undefined || timeoutMs <= 0) return Promise.resolve(call);
    return new Promise((resolve) => {
      let set = this.#waiters.get(id);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(id, set);
      }
      const waiter = (c: LocalCall) => {
        clearTimeout(timer);
        resolve(c);
      };
      const timer = setTimeout(() => {
        set.delete(waiter);
        if (set.size === 0 && this.#waiters.get(id) === set) this.#waiters.delete(id);
        resolve(undefined);
      }, timeoutMs);
      set.add(waiter);
    });
  }

  /**
   * A browser's offer to join call `callId`: answers it (complete, no trickle) and adds the
   * browser to the call. Throws HttpError 400 (bad offer), 404 (no such call), 429 (call full).
   */
  async offer(callId: string, request: OfferRequest): Promise<OfferResult> {
    const startedAt = performance.now();
    let info: ReturnType<typeof parseOffer>;
    try {
      info = parseOffer(request.sdp);
    } catch (error) {
      if (error instanceof OfferError) throw new HttpError(400, error.detail);
      throw error;
    }
    if (request.participantId !== undefined && !PARTICIPANT_ID.test(request.participantId)) {
      throw new HttpError(400, "participant_id must be 1-64 characters from A-Z a-z 0-9 _ . : -");
    }
    const call = await this.waitForCall(callId, this.timing.callWaitMs);
    if (call === undefined || call.ended) throw callNotFound(callId);
    const participantId = request.participantId ?? `web-${randomBytes(4).toString("hex")}`;
    const reconnect = call.peers.has(participantId);
    if (!reconnect && call.peers.size >= this.timing.maxParticipantsPerCall) {
      throw new HttpError(429, "Reached maximum number of participants for this call");
    }
    const rtcConfig = this.#rtcConfig();
    let rtc: Awaited<ReturnType<RtcBackend["answer"]>>;
    try {
      rtc = await this.backend.answer(
        {
          offerSdp: request.sdp,
          audioMid: info.audioMid,
          opusPayloadType: info.opusPayloadType,
          ssrc: call.outbound.ssrc,
          cname: "callwright",
          label: participantId,
          ...(info.video === undefined
            ? {}
            : {
                video: {
                  mid: info.video.mid,
                  vp8PayloadType: info.video.vp8PayloadType,
                  ssrc: call.videoSsrc,
                },
              }),
        },
        rtcConfig,
      );
    } catch (error) {
      if (error instanceof OfferError) throw new HttpError(400, error.detail);
      throw error;
    }
    if (call.ended) {
      rtc.close();
      throw callNotFound(callId);
    }
    const participant =
      request.name === undefined ? { id: participantId } : { id: participantId, name: request.name };
    const peer: BrowserPeer = new BrowserPeer({
      participant,
      rtc,
      opusPayloadType: info.opusPayloadType,
      vp8PayloadType: info.video?.vp8PayloadType,
      rtcpSsrc: call.rtcpSsrc,
      decodeRateHz: call.audio.inputSampleRateHz,
      timing: this.timing,
      logger: () => call.logger,
      hooks: {
        onJoined: (p) => call.peerJoined(p),
        onAudio: (p, frame) => call.peerAudio(p, frame),
        onGone: (p, reason) => call.peerGone(p, reason),
        onDataOpen: (p) => call.greet(p),
        onVideoState: (p, state) => call.peerVideoState(p, state),
        onKeyframeRequest: (p) => call.peerKeyframeRequest(p),
      },
    });
    call.addPeer(peer);
    const sdp =
      this.#webrtc.advertisedAddress === undefined
        ? rtc.answerSdp
        : rewriteHostCandidates(rtc.answerSdp, this.#webrtc.advertisedAddress);
    const answerMs = performance.now() - startedAt;
    call.logger.info(
      { participant_id: participantId, reconnect, answer_ms: Math.round(answerMs * 10) / 10 },
      "browser offer answered",
    );
    return { sdp, participantId, answerMs };
  }

  /** A browser leaves call `callId`. Throws HttpError 404 for an unknown call. */
  leave(callId: string, participantId: string): void {
    const call = this.#calls.get(callId);
    if (call === undefined) throw callNotFound(callId);
    if (call.removePeer(participantId, "left")) {
      call.logger.info({ participant_id: participantId }, "browser left the call");
    }
  }

  /** Ends every call (server shutdown). The hub stays usable. */
  endAllCalls(reason: string): void {
    for (const call of [...this.#calls.values()]) call.end(reason);
  }

  #rtcConfig(): RtcConfig {
    return {
      iceServers: this.#webrtc.iceServers,
      bindAddress: this.#webrtc.bindAddress,
      portRange: this.#webrtc.portRange,
      gatheringTimeoutMs: this.#webrtc.gatheringTimeoutMs,
    };
  }
}

function callNotFound(callId: string): HttpError {
  return new HttpError(
    404,
    `Call with id '${callId}' not found: start an agent session for it first (POST /sessions)`,
  );
}

let defaultHub: CallHub | undefined;

/** The process-wide hub every `local.Edge` uses unless given its own; network options from env. */
export function defaultCallHub(): CallHub {
  defaultHub ??= new CallHub({ webrtc: webRtcOptionsFromEnv() });
  return defaultHub;
}
