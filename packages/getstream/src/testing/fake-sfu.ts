// FakeStream's SFU: the signalling WebSocket (binary SfuRequest in, SfuEvent out), the Twirp RPC
// (JSON or protobuf), and a media plane that forwards RTP from each publisher to every session
// subscribed to it, on node-datachannel peer connections over loopback. It speaks Stream's protocol
// as Stream's SDKs expect it; what it leaves out is listed in docs/getstream.md.
import { randomBytes, randomInt } from "node:crypto";
import { create, fromBinary, fromJson, type MessageInitShape, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { FakeSocket } from "@callwright/provider-utils/testing";
import {
  isRtcp,
  type RtcConfig,
  type RtcPeerConnection,
  type RtcPeerFactory,
  type RtcTrack,
  sdpMediaSections,
  splitCandidates,
} from "@callwright/webrtc";
import { verifyJwt } from "../coordinator/jwt.js";
import { events, models } from "../proto/index.js";
import { TWIRP_METHODS, TWIRP_SERVICE, type TwirpMethod } from "../sfu/twirp.js";

export interface FakeSfuOptions {
  /** Secret the coordinator signs SFU tokens with. */
  tokenSecret: string;
  rtc: RtcPeerFactory;
  rtcConfig: RtcConfig;
  /** A socket that sends no JoinRequest within this long is closed. */
  joinRequestTimeoutMs: number;
}

/** One Twirp call as FakeStream saw it (for tests). */
export interface RecordedRpc {
  method: string;
  encoding: "json" | "protobuf";
  sessionId: string;
}

interface Forward {
  track: RtcTrack;
  ssrc: number;
  payloadType: number;
}

class SfuSessionState {
  readonly publishedTracks = new Set<models.TrackType>();
  publisher: RtcPeerConnection | undefined;
  subscriber: RtcPeerConnection | undefined;
  /** Publisher mid → track type (from SetPublisher's TrackInfo). */
  readonly publishedMids = new Map<string, models.TrackType>();
  /** `<publisher session>:<track type>` → the subscriber track it is forwarded on. */
  readonly forwards = new Map<string, Forward>();
  subscriptions = new Set<string>();
  nextMid = 0;
  negotiationId = 0;
  negotiation: Promise<void> = Promise.resolve();
  pendingAnswer: { id: number; resolve: () => void } | undefined;
  answersHealthChecks = true;
  readonly joinedAtMs = Date.now();

  constructor(
    readonly call: SfuCallState,
    readonly userId: string,
    readonly sessionId: string,
    readonly name: string,
    readonly trackLookupPrefix: string,
    readonly ws: FakeSocket,
  ) {}

  participant(): MessageInitShape<typeof models.ParticipantSchema> {
    return {
      userId: this.userId,
      sessionId: this.sessionId,
      name: this.name,
      trackLookupPrefix: this.trackLookupPrefix,
      publishedTracks: [...this.publishedTracks],
      joinedAt: timestampFromMs(this.joinedAtMs),
      connectionQuality: models.ConnectionQuality.EXCELLENT,
      roles: ["user"],
    };
  }
}

class SfuCallState {
  readonly sessions = new Map<string, SfuSessionState>();
  readonly startedAtMs = Date.now();
  constructor(readonly cid: string) {}
}

export class FakeSfu {
  readonly #options: FakeSfuOptions;
  readonly #calls = new Map<string, SfuCallState>();
  readonly rpcs: RecordedRpc[] = [];
  #answerHealthChecks = true;
  #closed = false;

  constructor(options: FakeSfuOptions) {
    this.#options = options;
  }

  // ---- signalling ----

  /** Takes a new signalling socket; the first frame must be a JoinRequest. */
  accept(ws: FakeSocket): void {
    let session: SfuSessionState | undefined;
    const timer = setTimeout(() => ws.close(4000, "no JoinRequest"), this.#options.joinRequestTimeoutMs);
    ws.onMessage((message) => {
      if (!message.binary) {
        ws.close(1003, "binary protobuf only");
        return;
      }
      let request: events.SfuRequest;
      try {
        request = fromBinary(events.SfuRequestSchema, message.data);
      } catch {
        ws.close(1007, "not an SfuRequest");
        return;
      }
      const payload = request.requestPayload;
      if (session === undefined) {
        if (payload.case !== "joinRequest") {
          ws.close(4000, "JoinRequest first");
          return;
        }
        clearTimeout(timer);
        session = this.#join(ws, payload.value);
        return;
      }
      if (payload.case === "healthCheckRequest") {
        if (this.#answerHealthChecks && session.answersHealthChecks) {
          send(ws, {
            case: "healthCheckResponse",
            value: { participantCount: { total: session.call.sessions.size } },
          });
        }
      } else if (payload.case === "leaveCallRequest") {
        this.#leave(session);
        ws.close(1000, "left");
      }
    });
    void ws.closed.then(() => {
      clearTimeout(timer);
      if (session !== undefined) this.#leave(session);
    });
  }

  #join(ws: FakeSocket, request: events.JoinRequest): SfuSessionState | undefined {
    const verified = verifyJwt(request.token, this.#options.tokenSecret);
    const claims = verified.ok ? verified.claims : undefined;
    const userId = claims?.user_id;
    const cid = claims?.call_cid;
    if (typeof userId !== "string" || typeof cid !== "string" || request.sessionId === "") {
      send(ws, {
        case: "error",
        value: {
          error: {
            code: models.ErrorCode.UNAUTHENTICATED,
            message: verified.ok
              ? "the JoinRequest has no session_id"
              : `invalid SFU token (${verified.reason})`,
            shouldRetry: false,
          },
          reconnectStrategy: models.WebsocketReconnectStrategy.DISCONNECT,
        },
      });
      ws.close(4001, "unauthenticated");
      return undefined;
    }
    let call = this.#calls.get(cid);
    if (call === undefined) {
      call = new SfuCallState(cid);
      this.#calls.set(cid, call);
    }
    const name = typeof claims?.name === "string" ? claims.name : userId;
    const session = new SfuSessionState(
      call,
      userId,
      request.sessionId,
      name,
      randomBytes(6).toString("hex"),
      ws,
    );
    const others = [...call.sessions.values()];
    call.sessions.set(session.sessionId, session);
    send(ws, {
      case: "joinResponse",
      value: {
        callState: {
          participants: [...call.sessions.values()].map((s) => s.participant()),
          startedAt: timestampFromMs(call.startedAtMs),
          participantCount: { total: call.sessions.size },
        },
        reconnected: false,
        fastReconnectDeadlineSeconds: 0,
        publishOptions: [
          {
            trackType: models.TrackType.AUDIO,
            codec: { name: "opus", clockRate: 48000, payloadType: 111, encodingParameters: "2" },
            id: 0,
          },
        ],
      },
    });
    for (const other of others) {
      send(other.ws, {
        case: "participantJoined",
        value: { callCid: cid, participant: session.participant() },
      });
    }
    this.#renegotiate(session);
    return session;
  }

  #leave(session: SfuSessionState): void {
    const call = session.call;
    if (call.sessions.get(session.sessionId) !== session) return;
    call.sessions.delete(session.sessionId);
    session.publisher?.close();
    session.subscriber?.close();
    session.pendingAnswer?.resolve();
    for (const other of call.sessions.values()) {
      other.forwards.delete(`${session.sessionId}:${models.TrackType.AUDIO}`);
      send(other.ws, {
        case: "participantLeft",
        value: { callCid: call.cid, participant: session.participant() },
      });
    }
    if (call.sessions.size === 0) this.#calls.delete(call.cid);
  }

  // ---- Twirp ----

  /** Handles `POST /twirp/<service>/<method>`; returns the HTTP answer. */
  async twirp(
    path: string,
    headers: { authorization?: string | undefined; "content-type"?: string | undefined },
    body: Buffer,
  ): Promise<{ status: number; contentType: string; body: Buffer | string }> {
    const twirpError = (status: number, code: string, msg: string) => ({
      status,
      contentType: "application/json",
      body: JSON.stringify({ code, msg }),
    });
    const m = new RegExp(`^/twirp/${TWIRP_SERVICE.replaceAll(".", "\\.")}/(\\w+)$`).exec(path);
    const method = m?.[1] as TwirpMethod | undefined;
    if (method === undefined || !(method in TWIRP_METHODS))
      return twirpError(404, "bad_route", `no method ${path}`);
    const token = (headers.authorization ?? "").replace(/^Bearer\s+/i, "");
    const verified = verifyJwt(token, this.#options.tokenSecret);
    if (!verified.ok) return twirpError(401, "unauthenticated", `invalid SFU token (${verified.reason})`);
    const json = (headers["content-type"] ?? "").includes("json");
    const { input, output } = TWIRP_METHODS[method];
    let request: { sessionId?: string };
    try {
      request = (
        json
          ? fromJson(input as never, JSON.parse(body.toString("utf8")), { ignoreUnknownFields: true })
          : fromBinary(input as never, body)
      ) as { sessionId?: string };
    } catch (error) {
      return twirpError(400, "malformed", `cannot read the ${method} request: ${(error as Error).message}`);
    }
    const sessionId = request.sessionId ?? "";
    this.rpcs.push({ method, encoding: json ? "json" : "protobuf", sessionId });
    const session = this.#session(sessionId, verified.claims.user_id);
    let answer: object;
    if (session === undefined) {
      answer = {
        error: { code: models.ErrorCode.PARTICIPANT_NOT_FOUND, message: `no session ${sessionId}` },
      };
    } else {
      try {
        answer = await this.#rpc(method, session, request as never);
      } catch (error) {
        answer = {
          error: { code: models.ErrorCode.INTERNAL_SERVER_ERROR, message: (error as Error).message },
        };
      }
    }
    const message = create(output as never, answer as never);
    return json
      ? {
          status: 200,
          contentType: "application/json",
          body: JSON.stringify(toJson(output as never, message)),
        }
      : {
          status: 200,
          contentType: "application/protobuf",
          body: Buffer.from(toBinary(output as never, message)),
        };
  }

  #session(sessionId: string, userId: unknown): SfuSessionState | undefined {
    for (const call of this.#calls.values()) {
      const s = call.sessions.get(sessionId);
      if (s !== undefined && s.userId === userId) return s;
    }
    return undefined;
  }

  async #rpc(method: TwirpMethod, session: SfuSessionState, request: never): Promise<object> {
    switch (method) {
      case "SetPublisher":
        return this.#setPublisher(session, request);
      case "SendAnswer": {
        const r = request as { sdp: string; negotiationId: number; peerType: models.PeerType };
        if (r.peerType !== models.PeerType.SUBSCRIBER || session.subscriber === undefined) {
          return {
            error: {
              code: models.ErrorCode.REQUEST_VALIDATION_FAILED,
              message: "no subscriber offer to answer",
            },
          };
        }
        session.subscriber.acceptAnswer(r.sdp);
        if (session.pendingAnswer?.id === r.negotiationId) session.pendingAnswer.resolve();
        return {};
      }
      case "IceTrickle": {
        const r = request as { peerType: models.PeerType; iceCandidate: string };
        const pc = r.peerType === models.PeerType.SUBSCRIBER ? session.subscriber : session.publisher;
        const init = JSON.parse(r.iceCandidate) as { candidate?: string; sdpMid?: string };
        if (pc !== undefined && init.candidate) pc.addRemoteCandidate(init.candidate, init.sdpMid ?? "0");
        return {};
      }
      case "UpdateSubscriptions": {
        const r = request as { tracks: { sessionId: string; trackType: models.TrackType }[] };
        session.subscriptions = new Set(r.tracks.map((t) => `${t.sessionId}:${t.trackType}`));
        this.#renegotiate(session);
        return {};
      }
      default:
        return {}; // UpdateMuteStates, IceRestart, SendStats: accepted (recorded in `rpcs`)
    }
  }

  async #setPublisher(
    session: SfuSessionState,
    request: { sdp: string; tracks: { mid: string; trackType: models.TrackType }[] },
  ): Promise<object> {
    const sections = sdpMediaSections(request.sdp);
    for (const info of request.tracks) {
      const section = sections.find((s) => s.mid === info.mid);
      if (section === undefined || section.direction === "recvonly" || section.direction === "inactive") {
        return {
          error: {
            code: models.ErrorCode.PUBLISH_TRACKS_MISMATCH,
            message: `TrackInfo mid '${info.mid}' has no sending m-section in the offer`,
          },
        };
      }
      session.publishedMids.set(info.mid, info.trackType);
    }
    if (session.publisher === undefined) {
      const pc = this.#options.rtc.createPeerConnection({
        label: `fake-sfu-pub-${session.sessionId.slice(0, 8)}`,
        config: this.#options.rtcConfig,
      });
      session.publisher = pc;
      pc.on("track", (track) => {
        track.on("rtp", (packet) => {
          const type = session.publishedMids.get(track.mid);
          if (type !== undefined && !isRtcp(packet)) this.#forward(session, type, packet);
        });
      });
    }
    const answer = await session.publisher.answer(request.sdp);
    const announced = [...new Set(request.tracks.map((t) => t.trackType))].filter(
      (t) => !session.publishedTracks.has(t),
    );
    for (const type of announced) session.publishedTracks.add(type);
    for (const type of announced) {
      for (const other of session.call.sessions.values()) {
        if (other === session) continue;
        send(other.ws, {
          case: "trackPublished",
          value: {
            userId: session.userId,
            sessionId: session.sessionId,
            type,
            participant: session.participant(),
          },
        });
      }
    }
    // Sessions that subscribed before this one published get the track now.
    for (const other of session.call.sessions.values()) if (other !== session) this.#renegotiate(other);
    return { sdp: answer, sessionId: session.sessionId };
  }

  /**
   * Adds a subscriber track for each wanted track that has a publisher and none yet, then offers.
   * Microphone audio is wanted from everyone without asking, as on Stream's SFU (its JavaScript
   * SDK's UpdateSubscriptions lists only video and screen share); other tracks when subscribed.
   */
  #renegotiate(session: SfuSessionState): void {
    session.negotiation = session.negotiation.then(async () => {
      if (!session.call.sessions.has(session.sessionId)) return;
      let added = 0;
      const wanted = new Set(session.subscriptions);
      for (const other of session.call.sessions.values()) {
        if (other !== session && other.publishedTracks.has(models.TrackType.AUDIO)) {
          wanted.add(`${other.sessionId}:${models.TrackType.AUDIO}`);
        }
      }
      for (const key of wanted) {
        if (session.forwards.has(key)) continue;
        const [publisherId = "", typeText = "0"] = key.split(":");
        const type = Number(typeText) as models.TrackType;
        const publisher = session.call.sessions.get(publisherId);
        if (
          publisher === undefined ||
          !publisher.publishedTracks.has(type) ||
          type !== models.TrackType.AUDIO
        ) {
          continue;
        }
        session.subscriber ??= this.#options.rtc.createPeerConnection({
          label: `fake-sfu-sub-${session.sessionId.slice(0, 8)}`,
          config: this.#options.rtcConfig,
        });
        const ssrc = randomInt(1, 0xffffffff);
        const track = session.subscriber.addAudioTrack({
          mid: String(session.nextMid++),
          direction: "sendonly",
          opusPayloadType: 111,
          ssrc,
          cname: publisher.trackLookupPrefix,
          streamId: `${publisher.trackLookupPrefix}:TRACK_TYPE_AUDIO`,
          trackId: `${publisher.trackLookupPrefix}-audio`,
        });
        session.forwards.set(key, { track, ssrc, payloadType: 111 });
        added += 1;
      }
      if (added === 0 || session.subscriber === undefined) return;
      // Offered without candidates, which follow as ice_trickle events once answered (as Stream's
      // SFU trickles; and an offerer must not be probed before it has the answer).
      const { sdp, candidates } = splitCandidates(await session.subscriber.createOffer());
      const id = ++session.negotiationId;
      const answered = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        session.pendingAnswer = {
          id,
          resolve: () => {
            clearTimeout(timer);
            session.pendingAnswer = undefined;
            resolve();
          },
        };
      });
      send(session.ws, { case: "subscriberOffer", value: { sdp, negotiationId: id, iceRestart: false } });
      await answered;
      for (const c of candidates) {
        send(session.ws, {
          case: "iceTrickle",
          value: {
            peerType: models.PeerType.SUBSCRIBER,
            sessionId: session.sessionId,
            iceCandidate: JSON.stringify({
              candidate: c.candidate,
              sdpMid: c.mid,
              sdpMLineIndex: c.mLineIndex,
            }),
          },
        });
      }
    });
    session.negotiation.catch(() => {});
  }

  #forward(publisher: SfuSessionState, type: models.TrackType, packet: Uint8Array): void {
    const key = `${publisher.sessionId}:${type}`;
    for (const other of publisher.call.sessions.values()) {
      if (other === publisher) continue;
      if (type !== models.TrackType.AUDIO && !other.subscriptions.has(key)) continue;
      const forward = other.forwards.get(key);
      if (forward === undefined || !forward.track.isOpen) continue;
      const copy = Buffer.from(packet);
      copy[1] = (copy[1]! & 0x80) | forward.payloadType;
      copy.writeUInt32BE(forward.ssrc, 8);
      forward.track.sendRtp(copy);
    }
  }

  // ---- fault switches and admin ----

  sessionsOf(userId: string): SfuSessionState[] {
    const out: SfuSessionState[] = [];
    for (const call of this.#calls.values())
      for (const s of call.sessions.values()) if (s.userId === userId) out.push(s);
    return out;
  }

  /** User ids in a call whose audio track is published (their SetPublisher was answered). */
  publishingAudio(cid: string): string[] {
    return [...(this.#calls.get(cid)?.sessions.values() ?? [])]
      .filter((s) => s.publishedTracks.has(models.TrackType.AUDIO))
      .map((s) => s.userId);
  }

  /** Participants (user ids) in a call, as the SFU sees them. */
  participants(cid: string): string[] {
    return [...(this.#calls.get(cid)?.sessions.values() ?? [])].map((s) => s.userId);
  }

  /** Tells everyone in the call it ended, then closes their sockets. */
  endCall(cid: string): void {
    const call = this.#calls.get(cid);
    if (call === undefined) return;
    for (const s of [...call.sessions.values()]) {
      send(s.ws, { case: "callEnded", value: { reason: models.CallEndedReason.ENDED } });
    }
    for (const s of [...call.sessions.values()]) {
      this.#leave(s);
      s.ws.close(1000, "call ended");
    }
  }

  /** Sends an SFU error to every session of `userId`. */
  sendError(
    userId: string,
    error: { code: models.ErrorCode; message: string; shouldRetry: boolean },
    strategy: models.WebsocketReconnectStrategy,
  ): void {
    for (const s of this.sessionsOf(userId))
      send(s.ws, { case: "error", value: { error, reconnectStrategy: strategy } });
  }

  /** Stops answering health checks (for one user, or everyone): the client must notice. */
  setAnswerHealthChecks(answer: boolean, userId?: string): void {
    if (userId === undefined) this.#answerHealthChecks = answer;
    else for (const s of this.sessionsOf(userId)) s.answersHealthChecks = answer;
  }

  /** Cuts the signalling socket of every session of `userId` without a close frame. */
  dropSocket(userId: string): void {
    for (const s of this.sessionsOf(userId)) s.ws.drop();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#calls.values()) {
      for (const s of call.sessions.values()) {
        s.publisher?.close();
        s.subscriber?.close();
        s.pendingAnswer?.resolve();
        s.ws.drop();
      }
    }
    this.#calls.clear();
  }
}

function send(
  ws: FakeSocket,
  payload: NonNullable<MessageInitShape<typeof events.SfuEventSchema>["eventPayload"]>,
): void {
  if (!ws.open) return;
  ws.send(toBinary(events.SfuEventSchema, create(events.SfuEventSchema, { eventPayload: payload })));
}
