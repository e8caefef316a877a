// A call hosted by this server: the browsers in it, the agents in it, and the traffic between
// them. Browsers' audio goes to every agent, tagged by participant; the agent's audio goes, as one
// Opus stream, to every browser; UI events go to every page over its data channel.
import { randomInt } from "node:crypto";
import { OutboundAudio, VideoSender } from "@callwright/webrtc";
import {
  type AgentUiEvent,
  type AudioFrame,
  type Logger,
  type Participant,
  StateError,
  type VideoFrame,
  type VideoPublication,
  type VideoPublishOptions,
  type VideoState,
  type VideoSubscribeOptions,
  type VideoSubscription,
} from "callwright";
import type { BrowserPeer, LeaveReason } from "./browser-peer.js";
import type { LocalEdgeConnection } from "./connection.js";
import type { LocalAudioOptions } from "./options.js";

/** Messages of the edge itself on the page's data channel (besides AgentUiEvents). */
export type EdgePageMessage =
  | { type: "welcome"; call_id: string; participant_id: string; agents: number }
  | { type: "agent_joined"; agents: number }
  | { type: "agent_left"; agents: number }
  | { type: "call_ended"; reason: string };

export interface LocalCallOptions {
  type: string;
  id: string;
  audio: LocalAudioOptions;
  /** Where the call logs while no agent is in it (then it logs through the agent's session logger). */
  logger: Logger;
  /** Called once when the call ends (to drop it from the hub). */
  onEnded: (call: LocalCall) => void;
}

/** One consumer's hold on a participant's video, kept across the browser's reconnects. */
interface CallVideoSubscription {
  options: VideoSubscribeOptions;
  onFrame: (frame: VideoFrame) => void;
  inner: VideoSubscription | undefined;
}

export class LocalCall {
  readonly type: string;
  readonly id: string;
  readonly audio: LocalAudioOptions;
  /** Browsers by participant id (connecting or joined). */
  readonly peers = new Map<string, BrowserPeer>();
  /** The browsers in the call: those whose media is flowing. */
  readonly participants = new Map<string, Participant>();
  readonly agents = new Set<LocalEdgeConnection>();
  readonly outbound: OutboundAudio;
  /** The SSRC of the agent's video, and the one its RTCP (keyframe requests) comes from. */
  readonly videoSsrc = randomInt(1, 0xffffffff);
  readonly rtcpSsrc = randomInt(1, 0xffffffff);
  readonly #videoSubscriptions = new Map<string, Set<CallVideoSubscription>>();
  #publication: { sender: VideoSender; payloadTypes: Map<string, number> } | undefined;
  readonly #hubLogger: Logger;
  #agentsEverJoined = 0;
  #ended = false;
  readonly #onEnded: (call: LocalCall) => void;
  /** The latest of each state-like event, replayed to a page that connects later. */
  readonly #replay = new Map<string, AgentUiEvent>();

  constructor(options: LocalCallOptions) {
    this.type = options.type;
    this.id = options.id;
    this.audio = options.audio;
    this.#hubLogger = options.logger;
    this.#onEnded = options.onEnded;
    this.outbound = new OutboundAudio({
      bitrateBps: options.audio.opusBitrateBps,
      complexity: options.audio.opusComplexity,
      gapMs: 40,
    });
  }

  /** The first agent's logger (it carries session_id and call_id), else the hub's. */
  get logger(): Logger {
    for (const agent of this.agents) return agent.logger;
    return this.#hubLogger;
  }

  get ended(): boolean {
    return this.#ended;
  }

  // ---- agents ----

  addAgent(connection: LocalEdgeConnection): void {
    this.agents.add(connection);
    this.#agentsEverJoined += 1;
    this.#broadcast({ type: "agent_joined", agents: this.agents.size });
  }

  removeAgent(connection: LocalEdgeConnection): void {
    if (!this.agents.delete(connection)) return;
    if (this.agents.size === 0) this.end("the agent left the call");
    else this.#broadcast({ type: "agent_left", agents: this.agents.size });
  }

  sendAgentAudio(frame: AudioFrame): void {
    this.outbound.send(frame, this.#joinedPeers());
  }

  clearAgentAudio(): void {
    this.outbound.clear();
  }

  // ---- video ----

  subscribeVideo(
    participantId: string,
    options: VideoSubscribeOptions,
    onFrame: (frame: VideoFrame) => void,
  ): VideoSubscription {
    if (!(options.fps > 0) || !Number.isFinite(options.fps)) {
      throw new RangeError(`fps must be a positive number, got ${options.fps}`);
    }
    if (options.widthPx !== undefined && !(options.widthPx >= 2)) {
      throw new RangeError(`widthPx must be at least 2, got ${options.widthPx}`);
    }
    let subs = this.#videoSubscriptions.get(participantId);
    if (subs === undefined) {
      subs = new Set();
      this.#videoSubscriptions.set(participantId, subs);
    }
    const sub: CallVideoSubscription = { options, onFrame, inner: undefined };
    subs.add(sub);
    this.#attach(sub, this.peers.get(participantId));
    return {
      close: () => {
        sub.inner?.close();
        sub.inner = undefined;
        subs.delete(sub);
        if (subs.size === 0 && this.#videoSubscriptions.get(participantId) === subs) {
          this.#videoSubscriptions.delete(participantId);
        }
      },
    };
  }

  videoState(participantId: string): VideoState {
    const peer = this.peers.get(participantId);
    return peer?.joined ? peer.videoState : { active: false };
  }

  /** The agent's own video, sent to every browser whose offer had video. One per call. */
  publishVideo(options: VideoPublishOptions): VideoPublication {
    if (this.#publication !== undefined) {
      throw new StateError(
        "this call already has the agent's video track: close it before publishing another",
        {
          code: "video_already_published",
        },
      );
    }
    const sender: VideoSender = new VideoSender({
      widthPx: options.widthPx,
      heightPx: options.heightPx,
      fps: options.fps,
      vp8PayloadType: 0,
      ssrc: this.videoSsrc,
      sendRtp: (packet) => {
        // Each browser numbered VP8 itself: rewrite the payload type per browser.
        for (const peer of this.#joinedPeers()) {
          if (peer.vp8PayloadType === undefined) continue;
          packet[1] = (packet[1]! & 0x80) | peer.vp8PayloadType;
          peer.sendVideoRtp(packet);
        }
      },
      onError: (error) => this.logger.warn({ err: error }, "the agent's video could not be sent"),
    });
    this.#publication = { sender, payloadTypes: new Map() };
    return {
      widthPx: sender.widthPx,
      heightPx: sender.heightPx,
      sendFrame: (frame) => sender.sendFrame(frame),
      close: () => {
        sender.close();
        if (this.#publication?.sender === sender) this.#publication = undefined;
      },
    };
  }

  peerVideoState(peer: BrowserPeer, state: VideoState): void {
    if (this.peers.get(peer.participant.id) !== peer || !peer.joined) return;
    for (const agent of this.agents) agent.deliver("video_state", peer.participant.id, state);
  }

  peerKeyframeRequest(_peer: BrowserPeer): void {
    this.#publication?.sender.requestKeyframe();
  }

  #attach(sub: CallVideoSubscription, peer: BrowserPeer | undefined): void {
    sub.inner?.close();
    sub.inner = peer?.video?.subscribe(sub.options, sub.onFrame);
  }

  relay(event: AgentUiEvent): void {
    if (event.type === "info" || event.type === "agent_state" || event.type === "turn_metrics") {
      this.#replay.set(event.type, event);
    }
    this.#broadcast(event);
  }

  // ---- browsers ----

  /** Adds a browser; a peer already under the same participant id (a reconnect) is replaced. */
  addPeer(peer: BrowserPeer): void {
    const previous = this.peers.get(peer.participant.id);
    this.peers.set(peer.participant.id, peer);
    if (previous !== undefined && previous !== peer) {
      this.logger.info({ participant_id: peer.participant.id }, "browser reconnected");
      previous.close();
    }
    // Whoever watched this participant goes on watching the new connection.
    for (const sub of this.#videoSubscriptions.get(peer.participant.id) ?? []) this.#attach(sub, peer);
  }

  peerJoined(peer: BrowserPeer): void {
    if (this.peers.get(peer.participant.id) !== peer) return;
    if (this.participants.has(peer.participant.id)) return; // a reconnect: still the same participant
    this.participants.set(peer.participant.id, peer.participant);
    for (const agent of this.agents) agent.deliver("participant_joined", peer.participant);
    // A new viewer of the agent's video needs a keyframe to start from.
    this.#publication?.sender.requestKeyframe();
  }

  peerAudio(peer: BrowserPeer, frame: AudioFrame): void {
    if (this.peers.get(peer.participant.id) !== peer) return;
    for (const agent of this.agents) agent.deliver("audio", peer.participant.id, frame);
  }

  /** A browser left (by itself, or `removePeer`). */
  peerGone(peer: BrowserPeer, reason: LeaveReason): void {
    if (this.peers.get(peer.participant.id) !== peer) return; // replaced by a reconnect
    this.peers.delete(peer.participant.id);
    const participant = this.participants.get(peer.participant.id);
    if (participant === undefined) return;
    this.participants.delete(peer.participant.id);
    for (const agent of this.agents) agent.deliver("participant_left", participant, reason);
  }

  /** Removes a browser that asked to leave; false when it was not in the call. */
  removePeer(participantId: string, reason: LeaveReason): boolean {
    const peer = this.peers.get(participantId);
    if (peer === undefined) return false;
    peer.close();
    this.peerGone(peer, reason);
    return true;
  }

  /** What a page learns when its data channel opens. */
  greet(peer: BrowserPeer): void {
    peer.send({
      type: "welcome",
      call_id: this.id,
      participant_id: peer.participant.id,
      agents: this.agents.size,
    } satisfies EdgePageMessage);
    for (const event of this.#replay.values()) peer.send(event);
  }

  /** Whether any agent ever joined (a call nobody joined yet is kept for the agent to come). */
  get hadAgent(): boolean {
    return this.#agentsEverJoined > 0;
  }

  /** Ends the call for everyone: pages are told, browsers disconnected, agents get `closed`. */
  end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#broadcast({ type: "call_ended", reason });
    // A moment for the message to leave before the peers close.
    const peers = [...this.peers.values()];
    setTimeout(() => {
      for (const peer of peers) peer.close();
    }, 200);
    this.peers.clear();
    this.participants.clear();
    for (const subs of this.#videoSubscriptions.values()) for (const sub of subs) sub.inner?.close();
    this.#videoSubscriptions.clear();
    this.#publication?.sender.close();
    this.#publication = undefined;
    for (const agent of [...this.agents]) agent.end(reason);
    this.agents.clear();
    this.#hubLogger.debug({ reason }, "local call ended");
    this.#onEnded(this);
  }

  #joinedPeers(): BrowserPeer[] {
    const out: BrowserPeer[] = [];
    for (const peer of this.peers.values()) if (peer.joined) out.push(peer);
    return out;
  }

  #broadcast(message: AgentUiEvent | EdgePageMessage): void {
    if (this.peers.size === 0) return;
    const text = JSON.stringify(message);
    for (const peer of this.peers.values()) peer.send(text);
  }
}
