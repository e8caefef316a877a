// The general peer connection on node-datachannel, peer to peer over loopback: an offerer with
// sendonly tracks (an SFU's subscriber side) and an answerer that learns tracks from the offer,
// renegotiated as a track is added, with RTP flowing on every track.
import { afterEach, describe, expect, test } from "vitest";
import { buildRtp, parseRtp } from "../rtp.js";
import { sdpMediaSections, splitCandidates } from "../sdp.js";
import { NodeDataChannelBackend } from "./node-datachannel.js";
import type { RtcConfig, RtcPeerConnection, RtcTrack } from "./types.js";

const config: RtcConfig = {
  iceServers: [],
  bindAddress: "127.0.0.1",
  portRange: undefined,
  gatheringTimeoutMs: 2000,
};
const backend = new NodeDataChannelBackend();
const open: RtcPeerConnection[] = [];

function peer(label: string): RtcPeerConnection {
  const pc = backend.createPeerConnection({ label, config });
  open.push(pc);
  return pc;
}

afterEach(() => {
  for (const pc of open.splice(0)) pc.close();
});

const packet = (ssrc: number, seq: number) =>
  buildRtp({
    payloadType: 111,
    marker: false,
    sequenceNumber: seq,
    timestamp: seq * 960,
    ssrc,
    payload: Uint8Array.of(0xf8, 0xff, 0xfe),
  });

/** Offer without candidates, answer, then trickle the offerer's candidates (see createOffer). */
async function negotiate(
  offerer: RtcPeerConnection,
  answerer: RtcPeerConnection,
  offer?: string,
): Promise<string> {
  const { sdp, candidates } = splitCandidates(offer ?? (await offerer.createOffer()));
  expect(sdp).not.toMatch(/a=candidate|a=end-of-candidates/);
  const answer = await answerer.answer(sdp);
  offerer.acceptAnswer(answer);
  for (const c of candidates) answerer.addRemoteCandidate(c.candidate, c.mid);
  return answer;
}

function opened(track: RtcTrack): Promise<void> {
  return track.isOpen ? Promise.resolve() : new Promise((resolve) => track.on("open", () => resolve()));
}

/** Sends a packet every 10 ms until one arrives on `to` (or 2 s pass); returns the SSRCs seen. */
async function flow(from: RtcTrack, to: RtcTrack, ssrc: number): Promise<number[]> {
  const seen: number[] = [];
  const off = to.on("rtp", (p) => {
    const rtp = parseRtp(p);
    if (rtp !== null) seen.push(rtp.ssrc);
  });
  for (let i = 0; i < 200 && seen.length === 0; i++) {
    from.sendRtp(packet(ssrc, i));
    await new Promise((r) => setTimeout(r, 10));
  }
  off();
  return seen;
}

describe("NodeDataChannelBackend peer connections", () => {
  test("offer → answer with msid and SSRC; renegotiation adds a track; RTP flows on both", async () => {
    const sfu = peer("sfu");
    const agent = peer("agent");
    const received: RtcTrack[] = [];
    agent.on("track", (t) => received.push(t));

    const out1 = sfu.addAudioTrack({
      mid: "0",
      direction: "sendonly",
      opusPayloadType: 111,
      ssrc: 1111,
      streamId: "alice:TRACK_TYPE_AUDIO",
      trackId: "a1",
    });
    const offer = await sfu.createOffer();
    const [section] = sdpMediaSections(offer);
    expect(section).toMatchObject({ kind: "audio", mid: "0", direction: "sendonly", ssrcs: [1111] });
    expect(section?.msid).toEqual({ streamId: "alice:TRACK_TYPE_AUDIO", trackId: "a1" });
    expect(section?.codecs.get("opus")).toEqual([111]);
    expect(offer).toMatch(/^a=candidate:.* 127\.0\.0\.1 \d+ typ host/m);

    const answer = await negotiate(sfu, agent, offer);
    expect(sdpMediaSections(answer)[0]).toMatchObject({ mid: "0", direction: "recvonly" });
    expect(received.map((t) => [t.mid, t.kind])).toEqual([["0", "audio"]]);
    await Promise.all([opened(out1), opened(received[0]!)]);
    expect(await flow(out1, received[0]!, 1111)).toContain(1111);

    // A second participant's track: a new offer on the same connection.
    const out2 = sfu.addAudioTrack({
      mid: "1",
      direction: "sendonly",
      opusPayloadType: 111,
      ssrc: 2222,
      streamId: "bob:TRACK_TYPE_AUDIO",
    });
    const reoffer = await sfu.createOffer();
    expect(sdpMediaSections(reoffer).map((s) => s.mid)).toEqual(["0", "1"]);
    await negotiate(sfu, agent, reoffer);
    expect(received.map((t) => t.mid)).toEqual(["0", "1"]);
    await opened(out2);
    expect(await flow(out2, received[1]!, 2222)).toContain(2222);
    expect(await flow(out1, received[0]!, 1111)).toContain(1111);
    expect(sfu.state).toBe("connected");
  });

  test("the offerer side: a sendonly track the answerer receives (a publisher)", async () => {
    const publisher = peer("publisher");
    const sfu = peer("sfu");
    const mine = publisher.addAudioTrack({ mid: "0", direction: "sendonly", opusPayloadType: 111, ssrc: 77 });
    const theirs: RtcTrack[] = [];
    sfu.on("track", (t) => theirs.push(t));
    await negotiate(publisher, sfu);
    await opened(mine);
    expect(await flow(mine, theirs[0]!, 77)).toContain(77);
  });

  test("close ends every track and the connection, once; later calls are refused", async () => {
    const pc = peer("closing");
    const track = pc.addAudioTrack({ mid: "0", direction: "sendrecv", opusPayloadType: 111 });
    const events: string[] = [];
    pc.on("state", (s) => events.push(`pc:${s}`));
    track.on("closed", () => events.push("track:closed"));
    await pc.createOffer();
    pc.close();
    pc.close();
    expect(events).toEqual(["track:closed", "pc:closed"]);
    expect(track.sendRtp(packet(1, 1))).toBe(false);
    await expect(pc.createOffer()).rejects.toThrow(/closed/);
  });

  test("an answer WebRTC cannot take is an OfferError naming it", async () => {
    const pc = peer("bad");
    pc.addAudioTrack({ mid: "0", direction: "sendonly", opusPayloadType: 111 });
    await pc.createOffer();
    expect(() => pc.acceptAnswer("v=0\r\nnonsense")).toThrow(/WebRTC rejected the answer/);
  });
});
