// The WebRTC stack behind callwright's edges, kept small so another implementation (e.g. werift,
// pure TypeScript) can replace node-datachannel without touching the edges. Two shapes:
// - `RtcBackend.answer()`: a browser's offer answered in one step (the local edge);
// - `RtcPeerFactory.createPeerConnection()`: a peer that makes offers (an SFU publisher), answers
//   them again and again (an SFU subscriber, renegotiated as tracks come and go), with one
//   `RtcTrack` per m-section.
import type { Listener } from "../events.js";

export type RtcPeerState = "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface RtcConfig {
  /** ICE servers, `stun:host:port` or `turn:user:password@host:port` (libdatachannel's form). */
  iceServers: readonly string[];
  /** Local address to bind the UDP sockets to; undefined = every interface. */
  bindAddress: string | undefined;
  /** UDP ports ICE may use, inclusive; undefined = any (OS-chosen). */
  portRange: { begin: number; end: number } | undefined;
  /** How long to wait for ICE gathering before answering with what is known. */
  gatheringTimeoutMs: number;
}

export interface RtcAnswerRequest {
  offerSdp: string;
  /** The offer's audio mid: the agent's track must use it. */
  audioMid: string;
  opusPayloadType: number;
  /** The SSRC the agent's audio goes out with. */
  ssrc: number;
  /** The RTCP CNAME and stream id announced for it. */
  cname: string;
  /** A name for logs (the participant id). */
  label: string;
  /**
   * The offer's video section, answered with VP8 only (and `ssrc` announced for the agent's own
   * video); absent: the video section is not answered.
   */
  video?: { mid: string; vp8PayloadType: number; ssrc: number };
}

export type RtcPeerEvents = {
  /** The audio track can send and receive (DTLS-SRTP is up). */
  media_open: [];
  /** One RTP or RTCP packet from the browser (audio or video: tell them by payload type), decrypted. */
  rtp: [packet: Uint8Array];
  /** The browser's data channel opened. */
  data_open: [];
  /** A message on the browser's data channel. */
  data: [message: string | Uint8Array];
  state: [state: RtcPeerState];
};

/** One browser's peer connection, already answered. */
export interface RtcPeer {
  /** The SDP answer, complete with the server's candidates (no trickle needed). */
  readonly answerSdp: string;
  on<E extends keyof RtcPeerEvents>(event: E, listener: Listener<RtcPeerEvents[E]>): () => void;
  /** Sends one RTP packet on the audio track; false when it cannot be sent now. */
  sendRtp(packet: Uint8Array): boolean;
  /** Sends one RTP or RTCP packet on the video track; false without one, or when it cannot be sent now. */
  sendVideo(packet: Uint8Array): boolean;
  /** Sends a text message on the data channel; false when it is not open. */
  sendData(text: string): boolean;
  /** Closes the peer connection; no event follows but `state: closed`. Idempotent. */
  close(): void;
}

export interface RtcBackend {
  readonly name: string;
  /** Loads the native library and generates the DTLS certificate ahead of the first call. */
  warmup(config: RtcConfig): Promise<void>;
  /** Answers a browser's offer; rejects with a message naming what was wrong with it. */
  answer(request: RtcAnswerRequest, config: RtcConfig): Promise<RtcPeer>;
}

// ---- general peer connections ----

export type RtcDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** A local audio m-section (what `addAudioTrack` adds before an offer or an answer). */
export interface RtcAudioTrackInit {
  mid: string;
  /** From this side's point of view. */
  direction: RtcDirection;
  opusPayloadType: number;
  /** Opus fmtp; default `minptime=10;useinbandfec=1` (mono-friendly, FEC on). */
  opusFmtp?: string;
  /** Announced for what this side sends (with `cname`, `streamId`, `trackId`). */
  ssrc?: number;
  cname?: string;
  /** The msid stream id (`a=msid:<streamId> <trackId>`), e.g. Stream's `<prefix>:TRACK_TYPE_AUDIO`. */
  streamId?: string;
  trackId?: string;
}

export type RtcTrackEvents = {
  /** DTLS-SRTP is up: RTP can be sent and received. */
  open: [];
  /** One RTP or RTCP packet, decrypted. */
  rtp: [packet: Uint8Array];
  closed: [];
};

/** One m-section of a peer connection. */
export interface RtcTrack {
  readonly mid: string;
  /** "audio" or "video". */
  readonly kind: string;
  readonly isOpen: boolean;
  on<E extends keyof RtcTrackEvents>(event: E, listener: Listener<RtcTrackEvents[E]>): () => void;
  /** Sends one RTP packet (encrypted by the stack); false when it cannot be sent now. */
  sendRtp(packet: Uint8Array): boolean;
}

export type RtcPeerConnectionEvents = {
  /** The remote side's offer brought a new m-section (audio or video). */
  track: [track: RtcTrack];
  /** A local ICE candidate (`a=candidate:...` without the `a=`), for trickle signalling. */
  candidate: [candidate: string, mid: string];
  state: [state: RtcPeerState];
};

export interface RtcPeerConnection {
  readonly label: string;
  readonly state: RtcPeerState;
  on<E extends keyof RtcPeerConnectionEvents>(
    event: E,
    listener: Listener<RtcPeerConnectionEvents[E]>,
  ): () => void;
  /** Adds a local audio m-section; call before `createOffer` (or `answer` to fix its mid). */
  addAudioTrack(init: RtcAudioTrackInit): RtcTrack;
  /**
   * Makes an offer for the tracks added so far, complete with local candidates. Send it without
   * them (`splitCandidates`) and trickle them once the answer is applied: libdatachannel, as the
   * offerer, may close the connection when the answerer's connectivity checks arrive before the
   * answer does (seen under GC pauses on loopback).
   */
  createOffer(): Promise<string>;
  /** Applies the remote answer to the last offer; throws OfferError when it is unusable. */
  acceptAnswer(sdp: string): void;
  /**
   * Applies a remote offer (the first or a renegotiation) and returns the answer, complete with
   * local candidates. New m-sections arrive as `track` events before this resolves.
   */
  answer(offerSdp: string): Promise<string>;
  /** A remote trickled candidate (`candidate:...`, with or without `a=`). */
  addRemoteCandidate(candidate: string, mid: string): void;
  /** Closes the connection and its tracks; `state: closed` is the last event. Idempotent. */
  close(): void;
}

export interface RtcPeerFactory {
  readonly name: string;
  warmup(config: RtcConfig): Promise<void>;
  createPeerConnection(options: { label: string; config: RtcConfig }): RtcPeerConnection;
}
