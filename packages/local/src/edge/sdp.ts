// What the local edge needs from a browser's SDP offer, checked before any WebRTC work: an audio
// section with a mid and Opus. Also the rewrite of the answer's host candidates to an advertised
// address (for servers behind NAT or in containers).

import { OfferError } from "@callwright/webrtc";

/** A browser offer the edge cannot use; `detail` goes back to the client as a 400. */
export { OfferError };

export interface OfferInfo {
  /** The mid of the first audio section: the server's track must use it. */
  audioMid: string;
  /** Opus's payload type in that section (Chrome: 111). */
  opusPayloadType: number;
  /** Direction the browser offered for audio. */
  audioDirection: "sendrecv" | "sendonly" | "recvonly" | "inactive";
  /** Whether the offer carries a data channel (the page's events arrive over it). */
  hasDataChannel: boolean;
  /** The offer's first video section, when it has one with VP8 (the only video codec answered). */
  video:
    | { mid: string; vp8PayloadType: number; direction: "sendrecv" | "sendonly" | "recvonly" | "inactive" }
    | undefined;
}

/** Largest offer accepted (Chrome's are 2–6 KB). */
export const MAX_OFFER_BYTES = 64 * 1024;

/** Checks a browser's offer and extracts what the answer needs; throws OfferError. */
export function parseOffer(sdp: string): OfferInfo {
  if (sdp.length === 0) throw new OfferError("the offer's sdp is empty");
  if (sdp.length > MAX_OFFER_BYTES) {
    throw new OfferError(`the offer's sdp is ${sdp.length} bytes, over the ${MAX_OFFER_BYTES}-byte limit`);
  }
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== "v=0") throw new OfferError("malformed SDP: it must start with 'v=0'");
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) {
      throw new OfferError(`malformed SDP: '${line.slice(0, 40)}' is not a '<letter>=<value>' line`);
    }
  }
  const sections = splitSections(lines);
  const audio = sections.find((s) => s.media === "audio");
  if (audio === undefined) {
    throw new OfferError(
      "the offer has no audio: add an audio transceiver (microphone) before createOffer()",
    );
  }
  if (audio.port === 0) throw new OfferError("the offer's audio section is rejected (port 0)");
  const mid = attr(audio.lines, "mid");
  if (mid === undefined || mid.length === 0 || mid.length > 32) {
    throw new OfferError("the offer's audio section has no valid a=mid (BUNDLE needs one)");
  }
  let opusPayloadType: number | undefined;
  for (const line of audio.lines) {
    const m = /^a=rtpmap:(\d{1,3}) opus\/48000(\/\d)?$/i.exec(line);
    if (m !== null) {
      opusPayloadType = Number(m[1]);
      break;
    }
  }
  if (opusPayloadType === undefined || opusPayloadType < 96 || opusPayloadType > 127) {
    throw new OfferError("the offer's audio has no Opus codec (a=rtpmap:<pt> opus/48000/2)");
  }
  const hasIce = (s: string[]) => attr(s, "ice-ufrag") !== undefined && attr(s, "ice-pwd") !== undefined;
  if (!hasIce(audio.lines) && !hasIce(sections[0]?.lines ?? [])) {
    throw new OfferError("the offer has no ICE credentials (a=ice-ufrag / a=ice-pwd)");
  }
  if (
    attr(audio.lines, "fingerprint") === undefined &&
    attr(sections[0]?.lines ?? [], "fingerprint") === undefined
  ) {
    throw new OfferError("the offer has no DTLS fingerprint (a=fingerprint)");
  }
  const directions = ["sendrecv", "sendonly", "recvonly", "inactive"] as const;
  const audioDirection = directions.find((d) => audio.lines.includes(`a=${d}`)) ?? "sendrecv";
  return {
    audioMid: mid,
    opusPayloadType,
    audioDirection,
    hasDataChannel: sections.some((s) => s.media === "application"),
    video: videoSection(sections, directions),
  };
}

/**
 * The first video section with VP8 (H.264 is not answered: only VP8 is decoded here). A video
 * section without VP8, or without a mid, is left out of the answer (the browser sends no video).
 */
function videoSection(
  sections: Section[],
  directions: readonly ("sendrecv" | "sendonly" | "recvonly" | "inactive")[],
): OfferInfo["video"] {
  const video = sections.find((s) => s.media === "video" && s.port !== 0);
  if (video === undefined) return undefined;
  const mid = attr(video.lines, "mid");
  if (mid === undefined || mid.length === 0 || mid.length > 32) return undefined;
  let vp8PayloadType: number | undefined;
  for (const line of video.lines) {
    const m = /^a=rtpmap:(\d{1,3}) VP8\/90000$/i.exec(line);
    if (m !== null) {
      vp8PayloadType = Number(m[1]);
      break;
    }
  }
  if (vp8PayloadType === undefined || vp8PayloadType < 96 || vp8PayloadType > 127) return undefined;
  const direction = directions.find((d) => video.lines.includes(`a=${d}`)) ?? "sendrecv";
  return { mid, vp8PayloadType, direction };
}

interface Section {
  media: string;
  port: number;
  lines: string[];
}

/** Section 0 is the session level (media ""), then one per m= line. */
function splitSections(lines: string[]): Section[] {
  const sections: Section[] = [{ media: "", port: -1, lines: [] }];
  for (const line of lines) {
    if (line.startsWith("m=")) {
      const [media = "", port = "-1"] = line.slice(2).split(" ");
      sections.push({ media, port: Number(port), lines: [] });
    } else {
      sections.at(-1)!.lines.push(line);
    }
  }
  return sections;
}

function attr(lines: string[], name: string): string | undefined {
  const prefix = `a=${name}:`;
  const line = lines.find((l) => l.startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/**
 * Replaces the address of every host candidate in `sdp` with `address` (the port is kept), and
 * drops the duplicates this makes. For a server behind 1:1 NAT or a container with published
 * UDP ports: the browser must reach `address` at the ports the server bound.
 */
export function rewriteHostCandidates(sdp: string, address: string): string {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ host(.*)$/.exec(line);
    if (m === null) {
      out.push(line);
      continue;
    }
    const [, foundation, component, transport, priority, , port, rest] = m;
    const key = `${component} ${transport} ${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(
      `a=candidate:${foundation} ${component} ${transport} ${priority} ${address} ${port} typ host${rest}`,
    );
  }
  return out
    .join(eol)
    .replace(/^c=IN IP[46] \S+$/gm, `c=IN ${address.includes(":") ? "IP6" : "IP4"} ${address}`);
}
