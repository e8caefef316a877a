// One session on Stream's SFU (one `session_id`): the signalling socket, the subscriber connection
// (the SFU offers; we answer and map each track to a participant by its msid), the publisher
// connection (we offer one Opus track), subscriptions to every audio track, and the SFU's events.
// A session ends once: by `close()` (we leave), or by an `ended` event (call ended, an SFU error,
// a lost link), after which the owner decides whether to rejoin with a new session.
import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Emitter,
  InboundOpus,
  type OpusSampleRateHz,
  type OutboundAudio,
  type RtcConfig,
  type RtcPeerConnection,
  type RtcPeerFactory,
  type RtcTrack,
  type SdpMediaSection,
  sdpMediaSections,
  splitCandidates,
} from "@callwright/webrtc";
import type { SfuCredentials } from "../coordinator/client.js";
import { iceServerUrls } from "../coordinator/client.js";
import { StreamError } from "../errors.js";
import { type events, models } from "../proto/index.js";
import { fromProto, parseStreamId, type SfuParticipant } from "./participants.js";
import { SfuRpc } from "./rpc.js";
import { SfuSignal } from "./signal.js";

/** The few logging calls a session makes (core's Logger fits). */
export interface SessionLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SfuSessionTimingOptions {
  /** Longest wait for the SFU's JoinResponse after the socket opened. */
  joinTimeoutMs: number;
  healthCheckIntervalMs: number;
  /** Nothing from the SFU for this long: the link is lost. */
  healthCheckTimeoutMs: number;
  /** Longest wait for one Twirp call. */
  rpcTimeoutMs: number;
}

export const defaultSfuSessionTimingOptions = {
  joinTimeoutMs: 5000,
  healthCheckIntervalMs: 5000,
  healthCheckTimeoutMs: 12_000,
  rpcTimeoutMs: 5000,
} as const satisfies SfuSessionTimingOptions;

export interface SfuSessionOptions extends SfuSessionTimingOptions {
  credentials: SfuCredentials;
  /** Who joins (for logs; the SFU token carries the identity). */
  userId: string;
  rtc: RtcPeerFactory;
  /** Local network options; the ICE servers come from the coordinator. */
  rtcConfig: Omit<RtcConfig, "iceServers">;
  /** The paced Opus stream this session publishes (kept by the owner across rejoins). */
  outbound: OutboundAudio | undefined;
  /** Rate the participants' audio is decoded to. */
  decodeRateHz: OpusSampleRateHz;
  rpcEncoding: "protobuf" | "json";
  /** When rejoining: what the SFU should know about the session this one replaces. */
  rejoin?: { previousSessionId: string; attempt: number; reason: string };
  logger: SessionLogger;
}

/** Why a session ended without us closing it. */
export type SfuSessionEnd =
  | { kind: "call_ended"; reason: string }
  /** An SFU error or a lost link; `rejoin` says whether coming back with a new session may work. */
  | { kind: "failed"; error: StreamError; rejoin: boolean };

export type SfuSessionEvents = {
  participant_joined: [participant: SfuParticipant];
  participant_left: [participant: SfuParticipant];
  /** Decoded mono PCM from one participant's audio track. */
  audio: [participant: SfuParticipant, pcm: Int16Array, sampleRateHz: number];
  /** Our audio track is up (DTLS done): what `sendAudio` hands over now reaches the SFU. */
  publishing: [];
  /** A participant's audio track reached us (its media path is up). */
  subscribed: [participant: SfuParticipant];
  ended: [end: SfuSessionEnd];
};

/** SFU error codes Stream's SDKs retry: SFU full, shutting down, participant limit. */
const RETRYABLE_CODES = new Set<number>([
  models.ErrorCode.SFU_FULL,
  models.ErrorCode.SFU_SHUTTING_DOWN,
  models.ErrorCode.CALL_PARTICIPANT_LIMIT_REACHED,
]);

const OPUS_PAYLOAD_TYPE = 111;
const PUBLISHER_MID = "0";

interface Inbound {
  track: RtcTrack;
  prefix: string | undefined;
  decoder: InboundOpus;
}

export class SfuSession extends Emitter<SfuSessionEvents> {
  readonly sessionId = randomUUID();
  /** Everyone else in the call, by session id. */
  readonly participants = new Map<string, SfuParticipant>();
  /** ms from `join()` to the JoinResponse (for logs and the bench). */
  joinResponseMs: number | undefined;
  readonly #options: SfuSessionOptions;
  readonly #rpc: SfuRpc;
  readonly #signal: SfuSignal;
  readonly #rtcConfig: RtcConfig;
  #subscriber: RtcPeerConnection | undefined;
  #publisher: RtcPeerConnection | undefined;
  #publisherTrack: RtcTrack | undefined;
  /** The subscriber offer being (or last) answered: where a new track's msid is read. */
  #subscriberOffer: SdpMediaSection[] = [];
  readonly #inbound = new Map<string, Inbound>();
  /** Offers and answers are handled one at a time, in order. */
  #subscriberChain: Promise<void> = Promise.resolve();
  #subscriptionChain: Promise<void> = Promise.resolve();
  #subscriptionKey = "";
  /** Candidates that arrived before the connection had its remote description. */
  readonly #pendingCandidates = { publisher: [] as string[], subscriber: [] as string[] };
  #remoteSet = { publisher: false, subscriber: false };
  #joined = false;
  #done = false;
  #ended: SfuSessionEnd | undefined;
  readonly #abort = new AbortController();

  constructor(options: SfuSessionOptions) {
    super();
    this.#options = options;
    this.#rpc = new SfuRpc({
      baseUrl: options.credentials.twirpUrl,
      token: options.credentials.token,
      timeoutMs: options.rpcTimeoutMs,
      encoding: options.rpcEncoding,
    });
    this.#signal = new SfuSignal({
      url: options.credentials.wsEndpoint,
      connectTimeoutMs: options.joinTimeoutMs,
      healthCheckIntervalMs: options.healthCheckIntervalMs,
      healthCheckTimeoutMs: options.healthCheckTimeoutMs,
    });
    this.#rtcConfig = { ...options.rtcConfig, iceServers: iceServerUrls(options.credentials.iceServers) };
  }

  get closed(): boolean {
    return this.#done;
  }

  get isPublishing(): boolean {
    return this.#publisherTrack?.isOpen === true;
  }

  /** Whether a participant's audio track has reached us. */
  isSubscribedTo(sessionId: string): boolean {
    const p = this.participants.get(sessionId);
    if (p === undefined) return false;
    for (const inbound of this.#inbound.values()) {
      if (inbound.prefix === p.trackLookupPrefix && inbound.track.isOpen) return true;
    }
    return false;
  }

  /**
   * Joins: socket, JoinRequest, JoinResponse (or the SFU's error), then the publisher offer and
   * the first subscriptions. Rejects with StreamError (`sfu_join`; `retryable` as the SFU says).
   */
  async join(signal?: AbortSignal): Promise<void> {
    const startedAt = performance.now();
    const abort = signal === undefined ? this.#abort.signal : AbortSignal.any([signal, this.#abort.signal]);
    this.#subscriber = this.#options.rtc.createPeerConnection({
      label: `stream-subscriber-${this.sessionId.slice(0, 8)}`,
      config: this.#rtcConfig,
    });
    this.#subscriber.on("track", (track) => this.#onTrack(track));
    this.#subscriber.on("state", (state) => {
      if (state === "failed") this.#fail("the subscriber connection failed (ICE/DTLS)", true);
    });
    await this.#signal.connect(abort);
    const response = await new Promise<events.JoinResponse>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new StreamError(`the SFU did not answer the join within ${this.#options.joinTimeoutMs} ms`, {
              code: "sfu_join",
              retryable: true,
            }),
          ),
        this.#options.joinTimeoutMs,
      );
      const onAbort = () => reject(abort.reason);
      abort.addEventListener("abort", onAbort, { once: true });
      const buffered: events.SfuEvent[] = [];
      const offEvent = this.#signal.on("event", (event) => {
        const payload = event.eventPayload;
        if (payload.case === "joinResponse") {
          done();
          resolve(payload.value);
          for (const e of buffered) this.#onEvent(e);
          this.#signal.on("event", (e) => this.#onEvent(e));
        } else if (payload.case === "error") {
          done();
          const e = payload.value.error;
          reject(
            new StreamError(
              `the SFU refused the join: ${e?.message ?? "unknown error"} (code ${e?.code ?? 0})`,
              {
                code: "sfu_join",
                retryable: isRetryable(payload.value),
                ...(e === undefined ? {} : { remoteCode: e.code }),
              },
            ),
          );
        } else {
          buffered.push(event);
        }
      });
      const offLost = this.#signal.on("lost", (reason) => {
        done();
        reject(
          new StreamError(`the SFU closed the socket during the join: ${reason}`, {
            code: "sfu_join",
            retryable: true,
          }),
        );
      });
      const done = () => {
        clearTimeout(timer);
        abort.removeEventListener("abort", onAbort);
        offEvent();
        offLost();
      };
      this.#signal.send({ requestPayload: { case: "joinRequest", value: this.#joinRequest() } });
    });
    this.joinResponseMs = performance.now() - startedAt;
    this.#joined = true;
    this.#signal.on("lost", (reason) => this.#fail(reason, true));
    for (const p of response.callState?.participants ?? []) this.#addParticipant(p, false);
    this.#options.logger.debug(
      {
        session_id: this.sessionId,
        participants: this.participants.size,
        join_ms: Math.round(this.joinResponseMs),
      },
      "joined the SFU",
    );
    // Stream does not replay TrackPublished for people already there: subscribe from call_state.
    try {
      await Promise.all([
        this.#options.outbound === undefined ? Promise.resolve() : this.#publish(abort),
        this.#updateSubscriptions(),
      ]);
    } catch (error) {
      if (!this.#done) throw error;
    }
    // The call ended, or the SFU failed the session, before the join was complete.
    if (this.#ended !== undefined) {
      const end = this.#ended;
      throw end.kind === "call_ended"
        ? new StreamError(`the call ended while the agent was joining (${end.reason})`, { code: "sfu_join" })
        : end.error;
    }
  }

  /** Sends one frame of audio on the published track (dropped until it is up). */
  sendAudio(frame: Parameters<OutboundAudio["send"]>[0]): void {
    const track = this.#publisherTrack;
    const outbound = this.#options.outbound;
    if (this.#done || outbound === undefined) return;
    outbound.send(
      frame,
      track?.isOpen ? [{ opusPayloadType: OPUS_PAYLOAD_TYPE, sendRtp: (p) => track.sendRtp(p) }] : [],
    );
  }

  /** Leaves the call (tells the SFU, closes the socket and both connections). Idempotent. */
  close(reason = "the agent left"): void {
    if (this.#done) return;
    this.#signal.send({
      requestPayload: { case: "leaveCallRequest", value: { sessionId: this.sessionId, reason } },
    });
    this.#teardown();
  }

  #joinRequest(): MessageInitShape<typeof events.JoinRequestSchema> {
    const rejoin = this.#options.rejoin;
    return {
      token: this.#options.credentials.token,
      sessionId: this.sessionId,
      subscriberSdp: GENERIC_SUBSCRIBER_SDP,
      publisherSdp: GENERIC_PUBLISHER_SDP,
      clientDetails: {
        sdk: { type: models.SdkType.PLAIN_JAVASCRIPT, major: "0", minor: "1", patch: "0" },
        os: { name: process.platform, version: "", architecture: process.arch },
        browser: { name: "callwright", version: "0.1.0" },
        device: { name: "node", version: process.versions.node },
        webrtcVersion: "libdatachannel",
      },
      ...(rejoin === undefined
        ? {}
        : {
            reconnectDetails: {
              strategy: models.WebsocketReconnectStrategy.REJOIN,
              reconnectAttempt: rejoin.attempt,
              previousSessionId: rejoin.previousSessionId,
              reason: rejoin.reason,
            },
          }),
    };
  }

  async #publish(signal: AbortSignal): Promise<void> {
    const outbound = this.#options.outbound!;
    const pc = this.#options.rtc.createPeerConnection({
      label: `stream-publisher-${this.sessionId.slice(0, 8)}`,
      config: this.#rtcConfig,
    });
    this.#publisher = pc;
    pc.on("state", (state) => {
      if (state === "failed") this.#fail("the publisher connection failed (ICE/DTLS)", true);
    });
    const trackId = randomUUID();
    const track = pc.addAudioTrack({
      mid: PUBLISHER_MID,
      direction: "sendonly",
      opusPayloadType: OPUS_PAYLOAD_TYPE,
      ssrc: outbound.ssrc,
      cname: this.sessionId,
      streamId: this.sessionId,
      trackId,
    });
    this.#publisherTrack = track;
    track.on("open", () => {
      if (!this.#done) this.emit("publishing");
    });
    // The offer goes without candidates; they are trickled once the SFU's answer is applied (see
    // RtcPeerConnection.createOffer: an offerer must not be probed before it has the answer).
    const { sdp: offer, candidates } = splitCandidates(await pc.createOffer());
    const mid = sdpMediaSections(offer).find((s) => s.kind === "audio")?.mid ?? PUBLISHER_MID;
    const answer = await this.#rpc.call(
      "SetPublisher",
      {
        sdp: offer,
        sessionId: this.sessionId,
        tracks: [
          {
            trackId,
            trackType: models.TrackType.AUDIO,
            mid,
            codec: {
              name: "opus",
              clockRate: 48000,
              payloadType: OPUS_PAYLOAD_TYPE,
              encodingParameters: "2",
            },
          },
        ],
      },
      signal,
    );
    if (this.#done) return;
    pc.acceptAnswer(answer.sdp);
    this.#remoteSet.publisher = true;
    this.#flushCandidates("publisher");
    await Promise.all(
      candidates.map((c) =>
        this.#rpc.call(
          "IceTrickle",
          {
            peerType: models.PeerType.PUBLISHER_UNSPECIFIED,
            sessionId: this.sessionId,
            iceCandidate: JSON.stringify({
              candidate: c.candidate,
              sdpMid: c.mid,
              sdpMLineIndex: c.mLineIndex,
            }),
          },
          signal,
        ),
      ),
    );
  }

  #onEvent(event: events.SfuEvent): void {
    if (this.#done) return;
    const { eventPayload: e } = event;
    switch (e.case) {
      case "subscriberOffer":
        this.#onSubscriberOffer(e.value.sdp, e.value.negotiationId);
        return;
      case "iceTrickle": {
        const which = e.value.peerType === models.PeerType.SUBSCRIBER ? "subscriber" : "publisher";
        this.#pendingCandidates[which].push(e.value.iceCandidate);
        if (this.#remoteSet[which]) this.#flushCandidates(which);
        return;
      }
      case "participantJoined":
        if (e.value.participant !== undefined) this.#addParticipant(e.value.participant, true);
        return;
      case "participantUpdated":
        if (e.value.participant !== undefined) this.#addParticipant(e.value.participant, true);
        return;
      case "participantLeft":
        if (e.value.participant !== undefined) this.#removeParticipant(e.value.participant.sessionId);
        return;
      case "trackPublished": {
        const p =
          this.participants.get(e.value.sessionId) ??
          (e.value.participant === undefined ? undefined : this.#addParticipant(e.value.participant, true));
        if (p === undefined) return;
        p.publishedTracks.add(e.value.type);
        void this.#updateSubscriptions();
        return;
      }
      case "trackUnpublished": {
        const p = this.participants.get(e.value.sessionId);
        if (p === undefined) return;
        p.publishedTracks.delete(e.value.type);
        void this.#updateSubscriptions();
        return;
      }
      case "error": {
        const err = e.value.error;
        const strategy = e.value.reconnectStrategy;
        const message = `the SFU reported an error: ${err?.message ?? "unknown"} (code ${err?.code ?? 0}, strategy ${models.WebsocketReconnectStrategy[strategy] ?? strategy})`;
        if (strategy === models.WebsocketReconnectStrategy.DISCONNECT) this.#fail(message, false, err?.code);
        else if (isRetryable(e.value)) this.#fail(message, true, err?.code);
        else
          this.#options.logger.warn(
            { code: err?.code, sfu_message: err?.message },
            "the SFU reported an error",
          );
        return;
      }
      case "callEnded":
        this.#end({ kind: "call_ended", reason: models.CallEndedReason[e.value.reason] ?? "ENDED" });
        return;
      case "goAway":
        this.#fail(`the SFU is going away (${models.GoAwayReason[e.value.reason] ?? e.value.reason})`, true);
        return;
      case "iceRestart":
        // libdatachannel cannot restart ICE in place: a new session is the restart.
        this.#fail("the SFU asked for an ICE restart", true);
        return;
      default:
        return; // health check answers, audio levels, quality... nothing to do
    }
  }

  #addParticipant(p: models.Participant, announce: boolean): SfuParticipant | undefined {
    if (p.sessionId === this.sessionId || p.userId === this.#options.userId) return undefined;
    const existing = this.participants.get(p.sessionId);
    const next = fromProto(p);
    if (existing !== undefined) {
      existing.name = next.name || existing.name;
      if (next.trackLookupPrefix) existing.trackLookupPrefix = next.trackLookupPrefix;
      if (p.publishedTracks.length > 0) existing.publishedTracks = next.publishedTracks;
      void this.#updateSubscriptions();
      return existing;
    }
    this.participants.set(p.sessionId, next);
    if (announce) this.emit("participant_joined", next);
    void this.#updateSubscriptions();
    return next;
  }

  #removeParticipant(sessionId: string): void {
    const p = this.participants.get(sessionId);
    if (p === undefined) return;
    this.participants.delete(sessionId);
    this.emit("participant_left", p);
    void this.#updateSubscriptions();
  }

  /** Sends the whole wanted set (every audio track of everyone else) when it changed. */
  #updateSubscriptions(): Promise<void> {
    if (!this.#joined || this.#done) return Promise.resolve();
    this.#subscriptionChain = this.#subscriptionChain.then(async () => {
      if (this.#done) return;
      const tracks = [...this.participants.values()]
        .filter((p) => p.publishedTracks.has(models.TrackType.AUDIO))
        .map((p) => ({ userId: p.userId, sessionId: p.sessionId, trackType: models.TrackType.AUDIO }));
      const key = tracks
        .map((t) => t.sessionId)
        .sort()
        .join(",");
      if (key === this.#subscriptionKey) return;
      this.#subscriptionKey = key;
      try {
        await this.#rpc.call(
          "UpdateSubscriptions",
          { sessionId: this.sessionId, tracks },
          this.#abort.signal,
        );
      } catch (error) {
        if (this.#done) return;
        this.#subscriptionKey = "";
        this.#options.logger.warn({ err: error }, "UpdateSubscriptions failed");
      }
    });
    return this.#subscriptionChain;
  }

  #onSubscriberOffer(sdp: string, negotiationId: number): void {
    this.#subscriberChain = this.#subscriberChain.then(async () => {
      const pc = this.#subscriber;
      if (this.#done || pc === undefined) return;
      try {
        this.#subscriberOffer = sdpMediaSections(sdp);
        const answer = await pc.answer(sdp);
        this.#remoteSet.subscriber = true;
        this.#flushCandidates("subscriber");
        // Tracks whose participant was unknown when they arrived may be known now.
        for (const inbound of this.#inbound.values()) this.#resolvePrefix(inbound);
        await this.#rpc.call(
          "SendAnswer",
          { peerType: models.PeerType.SUBSCRIBER, sdp: answer, sessionId: this.sessionId, negotiationId },
          this.#abort.signal,
        );
      } catch (error) {
        if (this.#done) return;
        this.#fail(`answering the SFU's subscriber offer failed: ${(error as Error).message}`, true);
      }
    });
  }

  #onTrack(track: RtcTrack): void {
    if (track.kind !== "audio") return; // video is not subscribed to; ignore what comes anyway
    const section = this.#subscriberOffer.find((s) => s.mid === track.mid);
    const opusPayloadType = section?.codecs.get("opus")?.[0] ?? OPUS_PAYLOAD_TYPE;
    const inbound: Inbound = {
      track,
      prefix: undefined,
      decoder: new InboundOpus({ opusPayloadType, decodeRateHz: this.#options.decodeRateHz }),
    };
    this.#inbound.set(track.mid, inbound);
    this.#resolvePrefix(inbound);
    track.on("open", () => {
      const p = this.#participantOf(inbound);
      if (p !== undefined && !this.#done) this.emit("subscribed", p);
    });
    track.on("rtp", (packet) => {
      if (this.#done) return;
      const frames = inbound.decoder.push(packet);
      if (frames === null || frames.length === 0) return;
      const p = this.#participantOf(inbound);
      if (p === undefined) return; // not mapped yet (its TrackPublished is on its way)
      for (const pcm of frames) this.emit("audio", p, pcm, inbound.decoder.sampleRateHz);
    });
    track.on("closed", () => {
      inbound.decoder.close();
      if (this.#inbound.get(track.mid) === inbound) this.#inbound.delete(track.mid);
    });
  }

  /** The msid of the track's m-section names its participant: `<track_lookup_prefix>:TRACK_TYPE_AUDIO`. */
  #resolvePrefix(inbound: Inbound): void {
    if (inbound.prefix !== undefined) return;
    const section = this.#subscriberOffer.find((s) => s.mid === inbound.track.mid);
    const parsed = section?.msid === undefined ? undefined : parseStreamId(section.msid.streamId);
    if (parsed !== undefined) inbound.prefix = parsed.prefix;
  }

  #participantOf(inbound: Inbound): SfuParticipant | undefined {
    if (inbound.prefix === undefined) return undefined;
    for (const p of this.participants.values()) if (p.trackLookupPrefix === inbound.prefix) return p;
    return undefined;
  }

  #flushCandidates(which: "publisher" | "subscriber"): void {
    const pc = which === "publisher" ? this.#publisher : this.#subscriber;
    if (pc === undefined) return;
    for (const json of this.#pendingCandidates[which].splice(0)) {
      try {
        const init = JSON.parse(json) as { candidate?: string; sdpMid?: string | null };
        if (typeof init.candidate !== "string" || init.candidate === "") continue;
        pc.addRemoteCandidate(init.candidate, init.sdpMid ?? "0");
      } catch (error) {
        this.#options.logger.debug({ err: error }, "ignored an ICE candidate from the SFU");
      }
    }
  }

  #fail(message: string, rejoin: boolean, remoteCode?: number): void {
    this.#end({
      kind: "failed",
      rejoin,
      error: new StreamError(message, {
        code: "sfu_connection",
        retryable: rejoin,
        ...(remoteCode === undefined ? {} : { remoteCode }),
      }),
    });
  }

  #end(end: SfuSessionEnd): void {
    if (this.#done) return;
    this.#ended = end;
    const emit = () => this.emit("ended", end);
    // Keep the listeners long enough to tell the owner.
    this.#teardown(emit);
  }

  #teardown(beforeRemovingListeners?: () => void): void {
    if (this.#done) return;
    this.#done = true;
    this.#abort.abort(new StreamError("the SFU session closed", { code: "sfu_connection" }));
    this.#signal.close(1000, "");
    for (const inbound of this.#inbound.values()) inbound.decoder.close();
    this.#inbound.clear();
    this.#publisher?.close();
    this.#subscriber?.close();
    beforeRemovingListeners?.();
    this.removeAllListeners();
  }
}

function isRetryable(error: events.Error): boolean {
  const strategy = error.reconnectStrategy;
  if (strategy === models.WebsocketReconnectStrategy.DISCONNECT) return false;
  return (
    strategy === models.WebsocketReconnectStrategy.REJOIN ||
    strategy === models.WebsocketReconnectStrategy.FAST ||
    strategy === models.WebsocketReconnectStrategy.MIGRATE ||
    error.error?.shouldRetry === true ||
    RETRYABLE_CODES.has(error.error?.code ?? 0)
  );
}

/**
 * The throw-away SDPs a JoinRequest carries: the SFU reads which codecs the client can send and
 * receive from them (audio only: the agent neither sends nor wants video).
 */
function genericSdp(direction: "sendonly" | "recvonly"): string {
  return [
    "v=0",
    "o=- 0 0 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=msid-semantic: WMS",
    `m=audio 9 UDP/TLS/RTP/SAVPF ${OPUS_PAYLOAD_TYPE}`,
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:cwgn",
    "a=ice-pwd:callwrightgenericsdp0000",
    "a=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00",
    "a=setup:actpass",
    "a=mid:0",
    `a=${direction}`,
    "a=rtcp-mux",
    `a=rtpmap:${OPUS_PAYLOAD_TYPE} opus/48000/2`,
    `a=fmtp:${OPUS_PAYLOAD_TYPE} minptime=10;useinbandfec=1`,
    "",
  ].join("\r\n");
}

const GENERIC_SUBSCRIBER_SDP = genericSdp("recvonly");
const GENERIC_PUBLISHER_SDP = genericSdp("sendonly");
