// The WebRTC stack behind the local edge, kept small so another implementation (e.g. werift,
// pure TypeScript) can replace node-datachannel without touching the rest of the edge.
import type { Listener } from "@callwright/provider-utils";

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
}

export type RtcPeerEvents = {
  /** The audio track can send and receive (DTLS-SRTP is up). */
  media_open: [];
  /** One RTP or RTCP packet from the browser, decrypted. */
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
