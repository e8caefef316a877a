// WebRTC on node-datachannel (libdatachannel; a prebuilt native binary from npm): it answers an
// offer in tens of milliseconds and hands us raw (decrypted) RTP both ways. `answer()` serves a
// browser in one step (the local edge); `createPeerConnection()` makes and answers offers
// repeatedly, one track per m-section (an SFU's publisher and subscriber connections).
import {
  Audio,
  type DataChannel,
  type RtcConfig as NdcRtcConfig,
  PeerConnection,
  preload,
  type Track,
  Video,
} from "node-datachannel";
import { Emitter } from "../events.js";
import { OfferError, sdpMediaSections } from "../sdp.js";
import type {
  RtcAnswerRequest,
  RtcAudioTrackInit,
  RtcBackend,
  RtcConfig,
  RtcDirection,
  RtcPeer,
  RtcPeerConnection,
  RtcPeerConnectionEvents,
  RtcPeerEvents,
  RtcPeerFactory,
  RtcPeerState,
  RtcTrack,
  RtcTrackEvents,
} from "./types.js";

/** Opus as we want the browser to send it: mono-friendly, FEC on, no 96 kb/s stereo default. */
const OPUS_FMTP = "minptime=10;useinbandfec=1";

function toNdcConfig(config: RtcConfig): NdcRtcConfig {
  return {
    iceServers: [...config.iceServers],
    ...(config.bindAddress === undefined ? {} : { bindAddress: config.bindAddress }),
    ...(config.portRange === undefined
      ? {}
      : { portRangeBegin: config.portRange.begin, portRangeEnd: config.portRange.end }),
  };
}

const directionFor = {
  sendrecv: "SendRecv",
  sendonly: "RecvOnly",
  recvonly: "SendOnly",
  inactive: "Inactive",
} as const;

function offeredDirection(sdp: string, mid: string, kind = "audio"): keyof typeof directionFor {
  const section = sdp.split(/\r?\nm=/).find((s) => s.startsWith(kind) && s.includes(`a=mid:${mid}`)) ?? "";
  for (const d of ["sendonly", "recvonly", "inactive"] as const) {
    if (new RegExp(`^a=${d}\\r?$`, "m").test(section)) return d;
  }
  return "sendrecv";
}

class NdcPeer extends Emitter<RtcPeerEvents> implements RtcPeer {
  answerSdp = "";
  readonly #pc: PeerConnection;
  readonly #track: Track;
  readonly #video: Track | undefined;
  #channel: DataChannel | undefined;
  #state: RtcPeerState = "connecting";
  #closed = false;

  constructor(pc: PeerConnection, track: Track, video: Track | undefined) {
    super();
    this.#pc = pc;
    this.#track = track;
    this.#video = video;
    track.onOpen(() => this.emit("media_open"));
    track.onMessage((message) => {
      if (!this.#closed) this.emit("rtp", message);
    });
    video?.onMessage((message) => {
      if (!this.#closed) this.emit("rtp", message);
    });
    pc.onStateChange((state) => this.#setState(state));
    pc.onDataChannel((channel) => {
      if (this.#closed) {
        channel.close();
        return;
      }
      // The page opens one channel; a second one replaces it (the last opened wins).
      this.#channel?.close();
      this.#channel = channel;
      channel.onMessage((message) => {
        if (this.#closed) return;
        this.emit("data", typeof message === "string" ? message : new Uint8Array(message as ArrayBuffer));
      });
      if (channel.isOpen()) this.emit("data_open");
      else channel.onOpen(() => this.emit("data_open"));
    });
  }

  #setState(state: string): void {
    const mapped = mapState(state);
    if (mapped === undefined || mapped === this.#state || this.#state === "closed") return;
    this.#state = mapped;
    this.emit("state", mapped);
  }

  sendRtp(packet: Uint8Array): boolean {
    if (this.#closed || !this.#track.isOpen()) return false;
    try {
      return this.#track.sendMessageBinary(packet as Buffer);
    } catch {
      return false;
    }
  }

  sendVideo(packet: Uint8Array): boolean {
    const video = this.#video;
    if (this.#closed || video === undefined || !video.isOpen()) return false;
    try {
      return video.sendMessageBinary(packet as Buffer);
    } catch {
      return false;
    }
  }

  sendData(text: string): boolean {
    const channel = this.#channel;
    if (this.#closed || channel === undefined || !channel.isOpen()) return false;
    try {
      return channel.sendMessage(text);
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#channel?.close();
      this.#track.close();
      this.#video?.close();
      this.#pc.close();
    } finally {
      this.#setState("closed");
      this.removeAllListeners();
    }
  }
}

function mapState(state: string): RtcPeerState | undefined {
  if (state === "connected" || state === "disconnected" || state === "failed" || state === "closed") {
    return state;
  }
  return state === "connecting" || state === "new" ? "connecting" : undefined;
}

const ndcDirection = {
  sendrecv: "SendRecv",
  sendonly: "SendOnly",
  recvonly: "RecvOnly",
  inactive: "Inactive",
} as const satisfies Record<RtcDirection, string>;

class NdcTrack extends Emitter<RtcTrackEvents> implements RtcTrack {
  readonly mid: string;
  readonly kind: string;
  readonly #track: Track;
  #closed = false;

  constructor(track: Track) {
    super();
    this.#track = track;
    this.mid = track.mid();
    this.kind = track.type();
    track.onOpen(() => {
      if (!this.#closed) this.emit("open");
    });
    track.onMessage((message) => {
      if (!this.#closed) this.emit("rtp", message);
    });
    track.onClosed(() => this.dispose());
  }

  get isOpen(): boolean {
    return !this.#closed && this.#track.isOpen();
  }

  sendRtp(packet: Uint8Array): boolean {
    if (!this.isOpen) return false;
    try {
      return this.#track.sendMessageBinary(packet as Buffer);
    } catch {
      return false;
    }
  }

  /** Stops events; the peer connection closes the native track. */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit("closed");
    this.removeAllListeners();
  }

  closeNative(): void {
    try {
      this.#track.close();
    } catch {
      // already closed with its peer connection
    }
    this.dispose();
  }
}

/** A general peer connection: makes offers, answers (re)offers, one RtcTrack per m-section. */
class NdcPeerConnection extends Emitter<RtcPeerConnectionEvents> implements RtcPeerConnection {
  readonly label: string;
  readonly #pc: PeerConnection;
  readonly #gatheringTimeoutMs: number;
  readonly #tracks = new Map<string, NdcTrack>();
  #state: RtcPeerState = "connecting";
  #closed = false;

  constructor(label: string, config: RtcConfig) {
    super();
    this.label = label;
    this.#gatheringTimeoutMs = config.gatheringTimeoutMs;
    this.#pc = new PeerConnection(label, toNdcConfig(config));
    this.#pc.onStateChange((state) => this.#setState(state));
    this.#pc.onTrack((native) => {
      if (this.#closed) return;
      const track = new NdcTrack(native);
      this.#tracks.set(track.mid, track);
      this.emit("track", track);
    });
    this.#pc.onLocalCandidate((candidate, mid) => {
      if (!this.#closed) this.emit("candidate", candidate.replace(/^a=/, ""), mid);
    });
  }

  get state(): RtcPeerState {
    return this.#state;
  }

  addAudioTrack(init: RtcAudioTrackInit): RtcTrack {
    this.#assertOpen();
    const audio = new Audio(init.mid, ndcDirection[init.direction]);
    audio.addOpusCodec(init.opusPayloadType, init.opusFmtp ?? OPUS_FMTP);
    if (init.ssrc !== undefined) {
      const cname = init.cname ?? "callwright";
      // libdatachannel wants the msid and track id as strings when given at all.
      if (init.streamId === undefined) audio.addSSRC(init.ssrc, cname);
      else audio.addSSRC(init.ssrc, cname, init.streamId, init.trackId ?? `${init.streamId}-${init.mid}`);
    }
    const track = new NdcTrack(this.#pc.addTrack(audio));
    this.#tracks.set(track.mid, track);
    return track;
  }

  async createOffer(): Promise<string> {
    this.#assertOpen();
    const gathered = this.#gathered();
    this.#pc.setLocalDescription("offer");
    await gathered;
    return this.#localSdp("offer");
  }

  acceptAnswer(sdp: string): void {
    this.#assertOpen();
    try {
      this.#pc.setRemoteDescription(sdp, "answer");
    } catch (error) {
      throw new OfferError(`WebRTC rejected the answer: ${message(error)} (connection ${this.#pc.state()})`);
    }
  }

  async answer(offerSdp: string): Promise<string> {
    this.#assertOpen();
    const gathered = this.#gathered();
    try {
      // libdatachannel answers by itself (auto-negotiation) and raises onTrack for new sections.
      this.#pc.setRemoteDescription(offerSdp, "offer");
    } catch (error) {
      throw new OfferError(`WebRTC rejected the offer: ${message(error)}`);
    }
    await Promise.all([gathered, this.#tracksFor(offerSdp)]);
    return this.#localSdp("answer");
  }

  /**
   * libdatachannel reports an offer's new m-sections through onTrack callbacks that reach the
   * event loop after setRemoteDescription returns: wait for them, so `answer()` resolves with
   * every `track` event delivered.
   */
  #tracksFor(offerSdp: string): Promise<void> {
    const missing = () =>
      sdpMediaSections(offerSdp).some(
        (m) => m.kind !== "application" && m.mid !== undefined && m.port !== 0 && !this.#tracks.has(m.mid),
      );
    if (!missing()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#gatheringTimeoutMs);
      const off = this.on("track", () => {
        if (!missing()) done();
      });
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  addRemoteCandidate(candidate: string, mid: string): void {
    if (this.#closed) return;
    const line = candidate.startsWith("a=") ? candidate.slice(2) : candidate;
    try {
      this.#pc.addRemoteCandidate(line, mid);
    } catch (error) {
      throw new OfferError(`WebRTC rejected the ICE candidate '${line.slice(0, 60)}': ${message(error)}`);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      for (const track of this.#tracks.values()) track.closeNative();
      this.#tracks.clear();
      this.#pc.close();
    } finally {
      this.#setState("closed");
      this.removeAllListeners();
    }
  }

  #setState(state: string): void {
    const mapped = mapState(state);
    if (mapped === undefined || mapped === this.#state || this.#state === "closed") return;
    this.#state = mapped;
    this.emit("state", mapped);
  }

  #gathered(): Promise<void> {
    if (this.#pc.gatheringState() === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#gatheringTimeoutMs);
      this.#pc.onGatheringStateChange((state) => {
        if (state === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  #localSdp(type: "offer" | "answer"): string {
    const local = this.#pc.localDescription();
    if (local === null || local.sdp.length === 0 || local.type !== type) {
      throw new Error(
        `libdatachannel produced no ${type} (signaling state ${this.#pc.signalingState()}, connection ${this.#pc.state()}, local ${local?.type ?? "none"})`,
      );
    }
    return local.sdp;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`peer connection '${this.label}' is closed`);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class NodeDataChannelBackend implements RtcBackend, RtcPeerFactory {
  readonly name = "node-datachannel";
  #warm: Promise<void> | undefined;

  warmup(config: RtcConfig): Promise<void> {
    this.#warm ??= (async () => {
      preload();
      // The first peer connection generates the DTLS certificate (cached for the process).
      const pc = new PeerConnection("warmup", toNdcConfig({ ...config, iceServers: [] }));
      pc.createDataChannel("warmup");
      pc.setLocalDescription();
      pc.close();
    })();
    return this.#warm;
  }

  createPeerConnection(options: { label: string; config: RtcConfig }): RtcPeerConnection {
    return new NdcPeerConnection(options.label, options.config);
  }

  async answer(request: RtcAnswerRequest, config: RtcConfig): Promise<RtcPeer> {
    const pc = new PeerConnection(request.label, toNdcConfig(config));
    let peer: NdcPeer | undefined;
    try {
      const audio = new Audio(
        request.audioMid,
        directionFor[offeredDirection(request.offerSdp, request.audioMid)],
      );
      audio.addOpusCodec(request.opusPayloadType, OPUS_FMTP);
      audio.addSSRC(request.ssrc, request.cname, "callwright-agent", "agent-audio");
      const track = pc.addTrack(audio);
      let videoTrack: Track | undefined;
      if (request.video !== undefined) {
        const video = new Video(
          request.video.mid,
          directionFor[offeredDirection(request.offerSdp, request.video.mid, "video")],
        );
        // VP8 only, with the feedback a receiver needs (PLI asks for keyframes, NACK for resends).
        video.addVP8Codec(request.video.vp8PayloadType);
        video.addSSRC(request.video.ssrc, request.cname, "callwright-agent", "agent-video");
        videoTrack = pc.addTrack(video);
      }
      peer = new NdcPeer(pc, track, videoTrack);
      const gathered = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.gatheringTimeoutMs);
        pc.onGatheringStateChange((state) => {
          if (state === "complete") {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      try {
        pc.setRemoteDescription(request.offerSdp, "offer");
      } catch (error) {
        throw new OfferError(
          `WebRTC rejected the offer: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (pc.gatheringState() !== "complete") await gathered;
      const answer = pc.localDescription();
      if (answer === null || answer.sdp.length === 0) throw new Error("libdatachannel produced no answer");
      peer.answerSdp = answer.sdp;
      return peer;
    } catch (error) {
      if (peer !== undefined) peer.close();
      else pc.close();
      throw error;
    }
  }
}
