// node-datachannel answering a real Chromium offer (no browser needed to check the answer).
import { describe, expect, test } from "vitest";
import { OfferError } from "../sdp.js";
import { CHROME_OFFER } from "../testing/chrome-offer.js";
import { NodeDataChannelBackend } from "./node-datachannel.js";
import type { RtcConfig } from "./types.js";

const config: RtcConfig = {
  iceServers: [],
  bindAddress: undefined,
  portRange: undefined,
  gatheringTimeoutMs: 2000,
};
const request = {
  offerSdp: CHROME_OFFER,
  audioMid: "0",
  opusPayloadType: 111,
  ssrc: 123456,
  cname: "cw",
  label: "t",
};

function candidates(sdp: string): { address: string; port: number }[] {
  return [...sdp.matchAll(/^a=candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ/gm)].map((m) => ({
    address: m[1]!,
    port: Number(m[2]),
  }));
}

describe("NodeDataChannelBackend", () => {
  const backend = new NodeDataChannelBackend();

  test("answers with mono-friendly Opus on the offer's mid, our SSRC, and its candidates", async () => {
    await backend.warmup(config);
    const peer = await backend.answer(request, config);
    try {
      const sdp = peer.answerSdp;
      expect(sdp).toMatch(/^v=0/);
      expect(sdp).toMatch(/^a=mid:0\r?$/m);
      expect(sdp).toMatch(/^a=rtpmap:111 opus\/48000\/2\r?$/m);
      expect(sdp).toMatch(/^a=fmtp:111 minptime=10;useinbandfec=1\r?$/m);
      expect(sdp).not.toMatch(/stereo=1/);
      expect(sdp).toMatch(/^a=ssrc:123456 cname:cw\r?$/m);
      expect(sdp).toMatch(/^a=sendrecv\r?$/m);
      expect(sdp).toMatch(/^m=application /m);
      expect(candidates(sdp).length).toBeGreaterThan(0);
    } finally {
      peer.close();
      peer.close();
    }
  });

  test("a listen-only browser gets a send-only answer", async () => {
    const peer = await backend.answer(
      { ...request, offerSdp: CHROME_OFFER.replace("a=sendrecv", "a=recvonly") },
      config,
    );
    expect(peer.answerSdp).toMatch(/^a=sendonly\r?$/m);
    peer.close();
  });

  test("the bind address and UDP port range are honoured", async () => {
    const peer = await backend.answer(request, {
      ...config,
      bindAddress: "127.0.0.1",
      portRange: { begin: 51000, end: 51010 },
    });
    try {
      const found = candidates(peer.answerSdp);
      expect(found.length).toBeGreaterThan(0);
      for (const c of found) {
        expect(c.address).toBe("127.0.0.1");
        expect(c.port).toBeGreaterThanOrEqual(51000);
        expect(c.port).toBeLessThanOrEqual(51010);
      }
    } finally {
      peer.close();
    }
  });

  test("an offer WebRTC cannot take is an OfferError (a 400), not a crash", async () => {
    const bad = CHROME_OFFER.replace(/a=fingerprint:sha-256 \S+/g, "a=fingerprint:sha-256 nonsense");
    await expect(backend.answer({ ...request, offerSdp: bad }, config)).rejects.toBeInstanceOf(OfferError);
  });
});
