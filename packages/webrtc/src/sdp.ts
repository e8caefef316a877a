// Reading SDP as the media code needs it: the m-sections with their mid, direction, msid, SSRCs
// and codecs. Nothing here writes SDP; the WebRTC stack does.

/** An SDP offer or answer the WebRTC stack cannot take; `detail` says what was wrong. */
export class OfferError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = "OfferError";
  }
}

export type SdpDirection = "sendrecv" | "sendonly" | "recvonly" | "inactive";

export interface SdpMediaSection {
  /** "audio", "video", "application" ... */
  kind: string;
  /** 0 when the section is rejected. */
  port: number;
  mid: string | undefined;
  direction: SdpDirection;
  /** `a=msid:<streamId> <trackId>` (or the first `a=ssrc:<n> msid:` line). */
  msid: { streamId: string; trackId: string | undefined } | undefined;
  ssrcs: number[];
  /** Codec name (lower case, e.g. "opus") → payload types, in the section's order. */
  codecs: Map<string, number[]>;
  /** The section's own lines, without the m= line. */
  lines: string[];
}

/** The m-sections of `sdp`, in order. */
export function sdpMediaSections(sdp: string): SdpMediaSection[] {
  const out: SdpMediaSection[] = [];
  let current: { header: string; lines: string[] } | undefined;
  const flush = () => {
    if (current !== undefined) out.push(section(current.header, current.lines));
  };
  for (const line of sdp.split(/\r?\n/)) {
    if (line.length === 0) continue;
    if (line.startsWith("m=")) {
      flush();
      current = { header: line, lines: [] };
    } else if (current !== undefined) {
      current.lines.push(line);
    }
  }
  flush();
  return out;
}

function section(header: string, lines: string[]): SdpMediaSection {
  const [kind = "", port = "0", , ...formats] = header.slice(2).split(" ");
  const value = (name: string) => {
    const prefix = `a=${name}:`;
    return lines
      .find((l) => l.startsWith(prefix))
      ?.slice(prefix.length)
      .trim();
  };
  const directions: SdpDirection[] = ["sendrecv", "sendonly", "recvonly", "inactive"];
  const direction = directions.find((d) => lines.includes(`a=${d}`)) ?? "sendrecv";
  let msid: SdpMediaSection["msid"];
  const msidLine = value("msid");
  if (msidLine !== undefined) {
    const [streamId = "", trackId] = msidLine.split(" ");
    msid = { streamId, trackId };
  } else {
    const ssrcMsid = lines.map((l) => /^a=ssrc:\d+ msid:(\S+)(?: (\S+))?/.exec(l)).find((m) => m !== null);
    if (ssrcMsid) msid = { streamId: ssrcMsid[1]!, trackId: ssrcMsid[2] };
  }
  const ssrcs = [
    ...new Set(lines.map((l) => /^a=ssrc:(\d+) /.exec(l)?.[1]).filter((s) => s !== undefined)),
  ].map(Number);
  const codecs = new Map<string, number[]>();
  const ordered = formats.map(Number);
  const names = new Map<number, string>();
  for (const l of lines) {
    const m = /^a=rtpmap:(\d+) ([^/\s]+)\//.exec(l);
    if (m !== null) names.set(Number(m[1]), m[2]!.toLowerCase());
  }
  for (const pt of ordered) {
    const name = names.get(pt);
    if (name === undefined) continue;
    const list = codecs.get(name) ?? [];
    list.push(pt);
    codecs.set(name, list);
  }
  return { kind, port: Number(port), mid: value("mid"), direction, msid, ssrcs, codecs, lines };
}

/** A local ICE candidate (`candidate:...`, no `a=`) and the mid of its m-section. */
export interface SdpCandidate {
  candidate: string;
  mid: string;
  /** Index of its m-section. */
  mLineIndex: number;
}

/**
 * `sdp` without its `a=candidate` and `a=end-of-candidates` lines, and those candidates: to send
 * an offer first and trickle the candidates after the answer.
 */
export function splitCandidates(sdp: string): { sdp: string; candidates: SdpCandidate[] } {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const candidates: SdpCandidate[] = [];
  const kept: string[] = [];
  let mid = "";
  let index = -1;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("m=")) {
      index += 1;
      mid = "";
    } else if (line.startsWith("a=mid:")) {
      mid = line.slice(6).trim();
    }
    if (line.startsWith("a=candidate:")) {
      candidates.push({ candidate: line.slice(2), mid, mLineIndex: index });
      continue;
    }
    if (line === "a=end-of-candidates") continue;
    kept.push(line);
  }
  // a candidate seen before its section's a=mid line gets the mid now
  for (const c of candidates) {
    if (c.mid === "") c.mid = sdpMediaSections(sdp)[c.mLineIndex]?.mid ?? "0";
  }
  return { sdp: kept.join(eol), candidates };
}
