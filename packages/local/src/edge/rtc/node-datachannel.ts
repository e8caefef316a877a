// The local edge's WebRTC on node-datachannel (libdatachannel; a prebuilt native binary from npm):
// it answers an offer in tens of milliseconds and hands us raw (decrypted) RTP both ways.
import { TypedEmitter } from "@callwright/provider-utils";
import {
  Audio,
  type DataChannel,
  type RtcConfig as NdcRtcConfig,
  PeerConnection,
  preload,
  type Track,
} from "node-datachannel";
import { OfferError } from "../sdp.js";
import type {
  RtcAnswerRequest,
  RtcBackend,
  RtcConfig,
  RtcPeer,
  RtcPeerEvents,
  RtcPeerState,
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

function offeredDirection(sdp: string, mid: string): keyof typeof directionFor {
  const section = sdp.split(/\r?\nm=/).find((s) => s.startsWith("audio") && s.includes(`a=mid:${mid}`)) ?? "";
  for (const d of ["sendonly", "recvonly", "inactive"] as const) {
    if (new RegExp(`^a=${d}\\r?$`, "m").test(section)) return d;
  }
  return "sendrecv";
}

class NdcPeer extends TypedEmitter<RtcPeerEvents> implements RtcPeer {
  answerSdp = "";
  readonly #pc: PeerConnection;
  readonly #track: Track;
  #channel: DataChannel | undefined;
  #state: RtcPeerState = "connecting";
  #closed = false;

  constructor(pc: PeerConnection, track: Track) {
    super();
    this.#pc = pc;
    this.#track = track;
    track.onOpen(() => this.emit("media_open"));
    track.onMessage((message) => {
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
    const mapped: RtcPeerState | undefined =
      state === "connected" || state === "disconnected" || state === "failed" || state === "closed"
        ? state
        : state === "connecting" || state === "new"
          ? "connecting"
          : undefined;
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
      this.#pc.close();
    } finally {
      this.#setState("closed");
      this.removeAllListeners();
    }
  }
}

export class NodeDataChannelBackend implements RtcBackend {
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
      peer = new NdcPeer(pc, track);
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
