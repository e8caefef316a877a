import { TypedEmitter } from "@callwright/provider-utils";
import {
  buildRtp,
  NodeDataChannelBackend,
  packetizeVp8,
  type RtcAnswerRequest,
  type RtcPeer,
  type RtcPeerEvents,
  type RtpPacket,
  rgbToI420,
  Vp8Encoder,
} from "@callwright/webrtc";
import { CHROME_OFFER, CHROME_OFFER_WITH_VIDEO } from "@callwright/webrtc/testing";
import { silentLogger, type VideoFrame, type VideoState } from "callwright";
import { describe, expect, test } from "vitest";
import { Edge } from "./edge.js";
import { CallHub } from "./hub.js";
import { parseOffer } from "./sdp.js";

class VideoPeer extends TypedEmitter<RtcPeerEvents> implements RtcPeer {
  readonly answerSdp = "v=0\r\n";
  readonly sentVideo: Uint8Array[] = [];
  constructor(readonly request: RtcAnswerRequest) {
    super();
  }
  sendRtp(): boolean {
    return true;
  }
  sendVideo(packet: Uint8Array): boolean {
    this.sentVideo.push(packet.slice());
    return true;
  }
  sendData(): boolean {
    return true;
  }
  close(): void {}
  send(packets: RtpPacket[]): void {
    for (const p of packets) this.emit("rtp", buildRtp(p));
  }
}

async function cameraPackets(count: number, rgb: [number, number, number]): Promise<RtpPacket[][]> {
  const encoder = await Vp8Encoder.create({ widthPx: 640, heightPx: 480 });
  const data = new Uint8Array(640 * 480 * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  const image = rgbToI420({ widthPx: 640, heightPx: 480, data });
  const frames: RtpPacket[][] = [];
  let seq = 1;
  for (let i = 0; i < count; i++) {
    const encoded = await encoder.encode(image, { keyframe: i === 0, rtpTimestamp: i * 3000 });
    for (const { data: vp8 } of encoded) {
      const payloads = packetizeVp8(vp8);
      frames.push(
        payloads.map((payload, j) => ({
          payloadType: 96,
          marker: j === payloads.length - 1,
          sequenceNumber: seq++,
          timestamp: i * 3000,
          ssrc: 777,
          payload,
        })),
      );
    }
  }
  encoder.close();
  return frames;
}

const isPli = (p: Uint8Array) => p[1] === 206 && (p[0]! & 0x1f) === 1;

describe("the local edge's video", () => {
  test("an offer's VP8 video section is found; an audio-only offer has none", () => {
    expect(parseOffer(CHROME_OFFER_WITH_VIDEO).video).toEqual({
      mid: "2",
      vp8PayloadType: 96,
      direction: "sendrecv",
    });
    expect(parseOffer(CHROME_OFFER).video).toBeUndefined();
  });

  test("node-datachannel answers the video section with VP8 alone, keyframe requests on, the agent's SSRC", async () => {
    const backend = new NodeDataChannelBackend();
    const config = {
      iceServers: [],
      bindAddress: "127.0.0.1",
      portRange: undefined,
      gatheringTimeoutMs: 500,
    };
    const peer = await backend.answer(
      {
        offerSdp: CHROME_OFFER_WITH_VIDEO,
        audioMid: "0",
        opusPayloadType: 111,
        ssrc: 1111,
        cname: "callwright",
        label: "t",
        video: { mid: "2", vp8PayloadType: 96, ssrc: 2222 },
      },
      config,
    );
    try {
      const video = peer.answerSdp.split(/\r?\nm=/).find((s) => s.startsWith("video"))!;
      expect(video).toBeDefined();
      expect(video).toMatch(/a=mid:2/);
      expect(video).toMatch(/a=rtpmap:96 VP8\/90000/);
      expect(video).not.toMatch(/H264|VP9|AV1/);
      expect(video).toMatch(/a=rtcp-fb:96 nack pli/);
      expect(video).toMatch(/a=ssrc:2222 /);
    } finally {
      peer.close();
    }
  });

  test("frames reach a subscriber at the asked size and colour; nothing is decoded unwatched", async () => {
    const peers: VideoPeer[] = [];
    const hub = new CallHub({
      backend: {
        name: "scripted",
        async warmup() {},
        async answer(request) {
          const peer = new VideoPeer(request);
          peers.push(peer);
          return peer;
        },
      },
      logger: silentLogger,
      callWaitMs: 0,
    });
    const edge = new Edge({ hub });
    const call = await edge.createCall("default", "v1");
    const connection = await edge.join(call, {
      agentUser: { id: "agent", name: "Agent" },
      signal: new AbortController().signal,
      logger: silentLogger,
    });
    const states: [string, VideoState][] = [];
    connection.on("video_state", (id, state) => states.push([id, state]));
    const { participantId } = await hub.offer("v1", { sdp: CHROME_OFFER_WITH_VIDEO });
    const peer = peers[0]!;
    expect(peer.request.video).toMatchObject({ mid: "2", vp8PayloadType: 96 });
    peer.emit("media_open");
    const stream = await cameraPackets(40, [30, 60, 220]);
    // Camera on, nobody watching: video_state says so, no keyframe asked for, nothing decoded.
    peer.send(stream[0]!);
    peer.emit("data", JSON.stringify({ type: "video", source: "camera" }));
    expect(states).toEqual([
      [participantId, { active: true, source: "unknown" }],
      [participantId, { active: true, source: "camera" }],
    ]);
    expect(connection.videoState?.(participantId)).toEqual({ active: true, source: "camera" });
    expect(peer.sentVideo.filter(isPli)).toHaveLength(0);
    const localPeer = hub.getCall("v1")!.peers.get(participantId)!;
    expect(localPeer.video!.stats.framesDecoded).toBe(0);

    const frames: VideoFrame[] = [];
    const subscription = connection.subscribeVideo!(participantId, { fps: 10, widthPx: 320 }, (f) =>
      frames.push(f),
    );
    expect(peer.sentVideo.filter(isPli)).toHaveLength(1);
    // The sender answers the PLI with a keyframe (stream[0]), then inter frames.
    for (const f of [stream[0]!, ...stream.slice(1, 10)]) {
      peer.send(f);
      await localPeer.video!.drained();
    }
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.length).toBeLessThanOrEqual(4); // 10 frames of 30 fps at 10 fps
    const first = frames[0]!;
    expect([first.widthPx, first.heightPx]).toEqual([320, 240]);
    const mid = (120 * 320 + 160) * 3;
    expect(Math.abs(first.data[mid]! - 30)).toBeLessThan(15);
    expect(Math.abs(first.data[mid + 1]! - 60)).toBeLessThan(15);
    expect(Math.abs(first.data[mid + 2]! - 220)).toBeLessThan(15);

    subscription.close();
    const decoded = localPeer.video!.stats.framesDecoded;
    for (const f of stream.slice(10, 20)) peer.send(f);
    await localPeer.video!.drained();
    expect(localPeer.video!.stats.framesDecoded).toBe(decoded);

    peer.emit("data", JSON.stringify({ type: "video", source: "none" }));
    expect(states.at(-1)).toEqual([participantId, { active: false }]);
    await connection.close();
    await edge.close();
  });
});
