import { CHROME_OFFER } from "@callwright/webrtc/testing";
import { describe, expect, test } from "vitest";
import { OfferError, parseOffer, rewriteHostCandidates } from "./sdp.js";

const detailOf = (sdp: string) => {
  try {
    parseOffer(sdp);
  } catch (error) {
    if (error instanceof OfferError) return error.detail;
    throw error;
  }
  return undefined;
};

describe("parseOffer", () => {
  test("takes the audio mid and Opus payload type from Chromium's offer", () => {
    expect(parseOffer(CHROME_OFFER)).toEqual({
      audioMid: "0",
      opusPayloadType: 111,
      audioDirection: "sendrecv",
      hasDataChannel: true,
    });
  });

  test("says what is wrong with a bad offer", () => {
    expect(detailOf("")).toMatch(/empty/);
    expect(detailOf("hello")).toMatch(/malformed SDP: it must start with 'v=0'/);
    expect(detailOf("v=0\r\nthis is not sdp\r\n")).toMatch(/malformed SDP/);
    expect(detailOf(CHROME_OFFER.replace(/m=audio[\s\S]*?(?=m=application)/, ""))).toMatch(/no audio/);
    expect(detailOf(CHROME_OFFER.replace(/a=rtpmap:111 opus\/48000\/2\r\n/, ""))).toMatch(/no Opus/);
    expect(detailOf(CHROME_OFFER.replace("a=mid:0\r\n", ""))).toMatch(/a=mid/);
    expect(detailOf(CHROME_OFFER.replaceAll(/a=fingerprint:.*\r\n/g, ""))).toMatch(/fingerprint/);
    expect(detailOf(CHROME_OFFER.replaceAll(/a=ice-ufrag:.*\r\n/g, ""))).toMatch(/ICE credentials/);
    expect(detailOf(`${CHROME_OFFER}a=x:${"y".repeat(70_000)}\r\n`)).toMatch(/over the 65536-byte limit/);
  });

  test("notes a listen-only (recvonly) browser", () => {
    expect(parseOffer(CHROME_OFFER.replace("a=sendrecv", "a=recvonly")).audioDirection).toBe("recvonly");
  });
});

describe("rewriteHostCandidates", () => {
  test("advertises one address on every host candidate, keeping ports", () => {
    const answer = [
      "v=0",
      "m=audio 50001 UDP/TLS/RTP/SAVPF 111",
      "c=IN IP4 10.0.0.5",
      "a=candidate:1 1 UDP 2122317823 10.0.0.5 50001 typ host",
      "a=candidate:2 1 UDP 2122317823 172.17.0.2 50001 typ host",
      "a=candidate:3 1 UDP 1686052607 203.0.113.9 61000 typ srflx raddr 10.0.0.5 rport 50001",
      "",
    ].join("\r\n");
    const out = rewriteHostCandidates(answer, "198.51.100.7");
    expect(out).toContain("a=candidate:1 1 UDP 2122317823 198.51.100.7 50001 typ host");
    expect(out).not.toContain("a=candidate:2 ");
    expect(out).toContain("typ srflx raddr 10.0.0.5");
    expect(out).toContain("c=IN IP4 198.51.100.7");
    expect(out.endsWith("\r\n")).toBe(true);
  });
});
