// The hub and the edge's connection without a browser: a scripted WebRTC backend stands in for
// node-datachannel, so join/leave, audio, events, reconnects and timeouts are tested exactly.
import { TypedEmitter } from "@callwright/provider-utils";
import {
  buildRtp,
  OpusEncoder,
  parseRtp,
  type RtcAnswerRequest,
  type RtcBackend,
  type RtcPeer,
  type RtcPeerEvents,
  type RtpPacket,
} from "@callwright/webrtc";
import { CHROME_OFFER } from "@callwright/webrtc/testing";
import {
  type AgentUiEvent,
  type AudioFrame,
  frameRms,
  HttpError,
  type Participant,
  silentLogger,
} from "callwright";
import { afterEach, describe, expect, test, vi } from "vitest";
import { Edge } from "./edge.js";
import { CallHub, type CallHubOptions } from "./hub.js";

class ScriptedPeer extends TypedEmitter<RtcPeerEvents> implements RtcPeer {
  readonly answerSdp = "v=0\r\na=candidate:1 1 UDP 2122317823 10.0.0.5 50001 typ host\r\n";
  readonly sentRtp: RtpPacket[] = [];
  readonly sentData: unknown[] = [];
  closed = false;
  #seq = 0;
  readonly #encoder = new OpusEncoder({
    sampleRateHz: 48000,
    bitrateBps: 32000,
    complexity: 5,
    inbandFec: false,
  });
  constructor(readonly request: RtcAnswerRequest) {
    super();
  }
  sendRtp(packet: Uint8Array): boolean {
    this.sentRtp.push(parseRtp(packet)!);
    return true;
  }
  readonly sentVideo: Uint8Array[] = [];
  sendVideo(packet: Uint8Array): boolean {
    this.sentVideo.push(packet);
    return true;
  }
  sendData(text: string): boolean {
    this.sentData.push(JSON.parse(text));
    return true;
  }
  close(): void {
    this.closed = true;
  }
  /** The browser sends one 20 ms frame of a tone (or silence). */
  speak(amplitude = 0.3, seq = this.#seq++): void {
    const pcm = new Int16Array(960);
    for (let i = 0; i < 960; i++)
      pcm[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * 300 * i) / 48000));
    const payload = this.#encoder.encode(pcm);
    this.emit(
      "rtp",
      buildRtp({
        payloadType: 111,
        marker: false,
        sequenceNumber: seq,
        timestamp: seq * 960,
        ssrc: 42,
        payload,
      }),
    );
  }
}

class ScriptedBackend implements RtcBackend {
  readonly name = "scripted";
  readonly peers: ScriptedPeer[] = [];
  async warmup(): Promise<void> {}
  async answer(request: RtcAnswerRequest): Promise<RtcPeer> {
    const peer = new ScriptedPeer(request);
    this.peers.push(peer);
    return peer;
  }
}

function setup(options: CallHubOptions = {}) {
  const backend = new ScriptedBackend();
  const hub = new CallHub({ backend, logger: silentLogger, callWaitMs: 0, ...options });
  const edge = new Edge({ hub });
  return { backend, hub, edge };
}

async function joinAgent(edge: Edge, callId: string) {
  const call = await edge.createCall("default", callId);
  const connection = await edge.join(call, {
    agentUser: { id: "agent", name: "Agent" },
    signal: new AbortController().signal,
    logger: silentLogger,
  });
  const events: string[] = [];
  const audio: { id: string; frame: AudioFrame }[] = [];
  connection.on("participant_joined", (p: Participant) => events.push(`joined:${p.id}`));
  connection.on("participant_left", (p: Participant, reason) => events.push(`left:${p.id}:${reason}`));
  connection.on("closed", (reason) => events.push(`closed:${reason}`));
  connection.on("audio", (id, frame) => audio.push({ id, frame }));
  return { connection, events, audio };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("CallHub + local.Edge", () => {
  test("a browser is a participant once its media opens; its audio arrives decoded at 16 kHz", async () => {
    const { backend, hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    const result = await hub.offer("c1", { sdp: CHROME_OFFER, name: "Ada" });
    const peer = backend.peers[0]!;
    expect(peer.request).toMatchObject({ audioMid: "0", opusPayloadType: 111 });
    expect(agent.events).toEqual([]);
    peer.emit("media_open");
    expect(agent.events).toEqual([`joined:${result.participantId}`]);
    expect(agent.connection.participants.get(result.participantId)).toEqual({
      id: result.participantId,
      name: "Ada",
    });
    for (let i = 0; i < 5; i++) peer.speak();
    expect(agent.audio).toHaveLength(5);
    expect(agent.audio.every((a) => a.id === result.participantId && a.frame.sampleRateHz === 16000)).toBe(
      true,
    );
    expect(agent.audio[0]!.frame.samples.length).toBe(320);
    expect(frameRms(agent.audio[4]!.frame)).toBeGreaterThan(0.1);
  });

  test("a lost packet is concealed so the agent's audio keeps its timing", async () => {
    const { backend, hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    await hub.offer("c1", { sdp: CHROME_OFFER });
    const peer = backend.peers[0]!;
    peer.emit("media_open");
    vi.useFakeTimers({ toFake: ["performance"] });
    for (const seq of [0, 1, 3, 4, 5]) {
      peer.speak(0.3, seq);
      vi.advanceTimersByTime(20);
    }
    // seq 2 was declared lost once 3 had waited 40 ms: six frames for six sequence numbers.
    expect(agent.audio).toHaveLength(6);
  });

  test("the agent's audio goes to every joined browser; UI events to every page", async () => {
    const { backend, hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    await hub.offer("c1", { sdp: CHROME_OFFER });
    await hub.offer("c1", { sdp: CHROME_OFFER });
    const [a, b] = backend.peers;
    a!.emit("media_open");
    b!.emit("media_open");
    agent.connection.sendAudio({ samples: new Int16Array(960), sampleRateHz: 48000, channels: 1 });
    expect(a!.sentRtp).toHaveLength(1);
    expect(b!.sentRtp).toHaveLength(1);
    expect(a!.sentRtp[0]!.ssrc).toBe(b!.request.ssrc);
    const event: AgentUiEvent = { type: "transcript", role: "agent", text: "hi", final: true, turnId: 1 };
    agent.connection.sendEvent(event);
    expect(a!.sentData).toContainEqual(event);
    expect(b!.sentData).toContainEqual(event);
  });

  test("a page that connects late is greeted with the agent's info and state", async () => {
    const { backend, hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    agent.connection.sendEvent({ type: "info", agentName: "A", llm: "l", stt: "s", tts: "t", vad: "v" });
    agent.connection.sendEvent({ type: "agent_state", state: "thinking" });
    agent.connection.sendEvent({ type: "agent_state", state: "listening" });
    const { participantId } = await hub.offer("c1", { sdp: CHROME_OFFER });
    const peer = backend.peers[0]!;
    peer.emit("data_open");
    expect(peer.sentData).toEqual([
      { type: "welcome", call_id: "c1", participant_id: participantId, agents: 1 },
      { type: "info", agentName: "A", llm: "l", stt: "s", tts: "t", vad: "v" },
      { type: "agent_state", state: "listening" },
    ]);
  });

  test("leave, a closed peer connection and ICE failure each make the participant leave once", async () => {
    const { backend, hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await hub.offer("c1", { sdp: CHROME_OFFER })).participantId);
      backend.peers[i]!.emit("media_open");
    }
    hub.leave("c1", ids[0]!);
    hub.leave("c1", ids[0]!);
    backend.peers[1]!.emit("state", "closed");
    backend.peers[2]!.emit("state", "failed");
    expect(agent.events.filter((e) => e.startsWith("left"))).toEqual([
      `left:${ids[0]}:left`,
      `left:${ids[1]}:left`,
      `left:${ids[2]}:timeout`,
    ]);
    expect(agent.connection.participants.size).toBe(0);
    expect(backend.peers.every((p) => p.closed)).toBe(true);
    expect(() => hub.leave("nope", "x")).toThrow(HttpError);
  });

  test("a browser that goes silent, or stays disconnected, leaves with reason timeout", async () => {
    vi.useFakeTimers();
    const { backend, hub, edge } = setup({ mediaTimeoutMs: 1000, disconnectGraceMs: 500 });
    const agent = await joinAgent(edge, "c1");
    const quiet = (await hub.offer("c1", { sdp: CHROME_OFFER })).participantId;
    const lost = (await hub.offer("c1", { sdp: CHROME_OFFER })).participantId;
    const [q, l] = backend.peers;
    q!.emit("media_open");
    l!.emit("media_open");
    l!.emit("state", "disconnected");
    for (let t = 0; t < 900; t += 20) {
      l!.speak();
      vi.advanceTimersByTime(20);
    }
    expect(agent.events).toContain(`left:${lost}:timeout`);
    expect(agent.events).not.toContain(`left:${quiet}:timeout`);
    vi.advanceTimersByTime(200);
    expect(agent.events).toContain(`left:${quiet}:timeout`);
  });

  test("a browser that never connects is dropped without ever having joined", async () => {
    vi.useFakeTimers();
    const { backend, hub, edge } = setup({ connectTimeoutMs: 1000 });
    const agent = await joinAgent(edge, "c1");
    await hub.offer("c1", { sdp: CHROME_OFFER });
    vi.advanceTimersByTime(1000);
    expect(backend.peers[0]!.closed).toBe(true);
    expect(hub.getCall("c1")!.peers.size).toBe(0);
    expect(agent.events).toEqual([]);
  });

  test("a reconnect under the same participant id replaces the connection; the agent sees no leave", async () => {
    const { backend, hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    const { participantId } = await hub.offer("c1", { sdp: CHROME_OFFER });
    backend.peers[0]!.emit("media_open");
    const again = await hub.offer("c1", { sdp: CHROME_OFFER, participantId });
    expect(again.participantId).toBe(participantId);
    expect(backend.peers[0]!.closed).toBe(true);
    backend.peers[0]!.emit("state", "closed");
    backend.peers[1]!.emit("media_open");
    backend.peers[1]!.speak();
    expect(agent.events).toEqual([`joined:${participantId}`]);
    expect(agent.audio).toHaveLength(1);
  });

  test("hostile page messages are ignored and counted; a ping is answered", async () => {
    const { backend, hub, edge } = setup();
    await joinAgent(edge, "c1");
    const { participantId } = await hub.offer("c1", { sdp: CHROME_OFFER });
    const peer = backend.peers[0]!;
    peer.emit("data", "x".repeat(1_000_000));
    peer.emit("data", "{oops");
    peer.emit("data", new Uint8Array(10));
    peer.emit("data", JSON.stringify({ type: "ping", t: 5 }));
    expect(peer.sentData).toEqual([{ type: "pong", t: 5 }]);
    expect(hub.getCall("c1")!.peers.get(participantId)!.ignoredMessages).toBe(3);
  });

  test("offers: 404 for an unknown call, a wait for one being created, 429 when the call is full", async () => {
    const { hub, edge } = setup({ callWaitMs: 150, maxParticipantsPerCall: 1 });
    await expect(hub.offer("nope", { sdp: CHROME_OFFER })).rejects.toMatchObject({ statusCode: 404 });
    const pending = hub.offer("later", { sdp: CHROME_OFFER });
    setTimeout(() => void edge.createCall("default", "later"), 20);
    await expect(pending).resolves.toMatchObject({ participantId: expect.any(String) });
    await expect(hub.offer("later", { sdp: CHROME_OFFER })).rejects.toMatchObject({ statusCode: 429 });
    await expect(hub.offer("later", { sdp: "v=0\r\n" })).rejects.toMatchObject({ statusCode: 400 });
    await expect(hub.offer("later", { sdp: CHROME_OFFER, participantId: "bad id!" })).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  test("the advertised address replaces host candidates in the answer", async () => {
    const { hub, edge } = setup({ webrtc: { advertisedAddress: "198.51.100.7" } });
    await edge.createCall("default", "c1");
    const { sdp } = await hub.offer("c1", { sdp: CHROME_OFFER });
    expect(sdp).toContain("198.51.100.7 50001 typ host");
    expect(sdp).not.toContain("10.0.0.5");
  });

  test("the call ends when its last agent leaves: pages are told, browsers dropped", async () => {
    vi.useFakeTimers();
    const { backend, hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    await hub.offer("c1", { sdp: CHROME_OFFER });
    const peer = backend.peers[0]!;
    peer.emit("media_open");
    await agent.connection.close();
    expect(peer.sentData).toContainEqual({ type: "call_ended", reason: "the agent left the call" });
    expect(hub.getCall("c1")).toBeUndefined();
    vi.advanceTimersByTime(500);
    expect(peer.closed).toBe(true);
    // Closing again, and using a closed connection, is harmless.
    await agent.connection.close();
    agent.connection.sendAudio({ samples: new Int16Array(960), sampleRateHz: 48000, channels: 1 });
  });

  test("ending every call (server shutdown) closes the agents' connections with a reason", async () => {
    const { hub, edge } = setup();
    const agent = await joinAgent(edge, "c1");
    hub.endAllCalls("the server is shutting down");
    expect(agent.events).toEqual(["closed:the server is shutting down"]);
    expect(hub.calls.size).toBe(0);
  });

  test("Edge.close() leaves its calls and drops calls it created that no agent joined", async () => {
    const { hub, edge } = setup();
    await edge.createCall("default", "empty");
    const agent = await joinAgent(edge, "joined");
    await edge.close();
    expect(hub.calls.size).toBe(0);
    expect(agent.connection.participants.size).toBe(0);
    await expect(edge.createCall("default", "x")).rejects.toThrow(/closed/);
  });
});
