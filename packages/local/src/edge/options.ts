// Options of the local edge: the network (ICE servers, addresses, ports: shared by every call of
// the process) and the audio formats of one agent's connection. Each can come from the
// environment; explicit options win over the environment, which wins over the defaults.
import type { OpusSampleRateHz } from "@callwright/webrtc";
import { ConfigError } from "callwright";

export interface WebRtcOptions {
  /**
   * ICE servers the server (and the demo page) use: `stun:host:port`,
   * `turn:user:password@host:port` or `turns:...`. Default none (fine on a LAN or one machine).
   * Env `CALLWRIGHT_WEBRTC_ICE_SERVERS` (comma-separated).
   */
  iceServers: readonly string[];
  /**
   * The address the browser should send media to, written into the answer's host candidates in
   * place of the interface addresses (a public IP for a server behind 1:1 NAT, the host's IP for
   * a container with published UDP ports). Default unset. Env `CALLWRIGHT_WEBRTC_ADVERTISED_ADDRESS`.
   */
  advertisedAddress: string | undefined;
  /** Local address the UDP sockets bind to. Default every interface. Env `CALLWRIGHT_WEBRTC_BIND_ADDRESS`. */
  bindAddress: string | undefined;
  /**
   * UDP ports ICE may use, inclusive (each browser takes one). Default any free port.
   * Env `CALLWRIGHT_WEBRTC_PORT_RANGE=50000-50100`.
   */
  portRange: { begin: number; end: number } | undefined;
  /** Longest wait for the server's ICE candidates before answering with those found. */
  gatheringTimeoutMs: number;
}

export const defaultWebRtcOptions = {
  iceServers: [],
  advertisedAddress: undefined,
  bindAddress: undefined,
  portRange: undefined,
  gatheringTimeoutMs: 2000,
} as const satisfies WebRtcOptions;

export interface CallHubTimingOptions {
  /** An offer for a call not created yet waits this long for it (then 404). */
  callWaitMs: number;
  /** A browser whose ICE is `disconnected` this long (no reconnect) has left ("timeout"). */
  disconnectGraceMs: number;
  /** A joined browser that sends no audio packet for this long has left ("timeout"). */
  mediaTimeoutMs: number;
  /** A browser that was answered but never connected is dropped after this long. */
  connectTimeoutMs: number;
  /** Most browsers in one call; an offer beyond it gets 429. */
  maxParticipantsPerCall: number;
}

export const defaultCallHubTimingOptions = {
  callWaitMs: 3000,
  disconnectGraceMs: 5000,
  mediaTimeoutMs: 10_000,
  connectTimeoutMs: 15_000,
  maxParticipantsPerCall: 16,
} as const satisfies CallHubTimingOptions;

/** Options of one agent's connection to a call. */
export interface LocalAudioOptions {
  /**
   * Rate of the PCM the connection emits per participant. Opus decodes straight to it: 16000 is
   * what VAD and STT take (no resampling); 48000 keeps the full band.
   */
  inputSampleRateHz: 16000 | 48000;
  /** Rate `sendAudio` takes (any Opus rate; frames at another Opus rate are accepted too). */
  outputSampleRateHz: OpusSampleRateHz;
  /** Opus bitrate of the agent's voice. */
  opusBitrateBps: number;
  /** Opus encoder complexity 0..10 (CPU against quality). */
  opusComplexity: number;
}

export const defaultLocalAudioOptions = {
  inputSampleRateHz: 16000,
  outputSampleRateHz: 48000,
  opusBitrateBps: 32_000,
  opusComplexity: 8,
} as const satisfies LocalAudioOptions;

export const WEBRTC_ENV = {
  iceServers: "CALLWRIGHT_WEBRTC_ICE_SERVERS",
  advertisedAddress: "CALLWRIGHT_WEBRTC_ADVERTISED_ADDRESS",
  bindAddress: "CALLWRIGHT_WEBRTC_BIND_ADDRESS",
  portRange: "CALLWRIGHT_WEBRTC_PORT_RANGE",
} as const;

const ICE_URL = /^(stun|turns?):([^@\s]+@)?[^\s:@/]+(:\d{1,5})?(\?transport=(udp|tcp))?$/;

/** Checks one ICE server URL; throws a ConfigError naming `source`. */
export function parseIceServer(url: string, source: string): string {
  const trimmed = url.trim();
  if (!ICE_URL.test(trimmed)) {
    throw new ConfigError(
      `invalid ${source} entry '${trimmed}': expected stun:host[:port] or turn:user:password@host[:port]`,
    );
  }
  return trimmed;
}

/** Parses `50000-50100` (or a single port); throws a ConfigError naming `source`. */
export function parsePortRange(value: string, source: string): { begin: number; end: number } {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5}))?\s*$/.exec(value);
  const begin = Number(m?.[1]);
  const end = m?.[2] === undefined ? begin : Number(m[2]);
  if (m === null || begin < 1024 || end > 65535 || end < begin) {
    throw new ConfigError(
      `invalid ${source} '${value}': expected two ports from 1024 to 65535, low-high, e.g. 50000-50100`,
    );
  }
  return { begin, end };
}

function parseAddress(value: string, source: string): string {
  const v = value.trim();
  if (!/^[0-9a-fA-F.:]+$/.test(v) && !/^[a-zA-Z0-9.-]+$/.test(v)) {
    throw new ConfigError(`invalid ${source} '${value}': expected an IP address or host name`);
  }
  return v;
}

/** The WebRTC options the environment sets (only those it sets). */
export function webRtcOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<WebRtcOptions> {
  const out: Partial<WebRtcOptions> = {};
  const ice = env[WEBRTC_ENV.iceServers];
  if (ice !== undefined && ice.trim() !== "") {
    out.iceServers = ice
      .split(",")
      .filter((s) => s.trim() !== "")
      .map((s) => parseIceServer(s, WEBRTC_ENV.iceServers));
  }
  const advertised = env[WEBRTC_ENV.advertisedAddress];
  if (advertised !== undefined && advertised.trim() !== "") {
    out.advertisedAddress = parseAddress(advertised, WEBRTC_ENV.advertisedAddress);
  }
  const bind = env[WEBRTC_ENV.bindAddress];
  if (bind !== undefined && bind.trim() !== "") out.bindAddress = parseAddress(bind, WEBRTC_ENV.bindAddress);
  const ports = env[WEBRTC_ENV.portRange];
  if (ports !== undefined && ports.trim() !== "") out.portRange = parsePortRange(ports, WEBRTC_ENV.portRange);
  return out;
}

/** Checks explicit options the same way the environment is checked. */
export function validateWebRtcOptions(options: Partial<WebRtcOptions>): Partial<WebRtcOptions> {
  if (options.iceServers !== undefined) {
    for (const url of options.iceServers) parseIceServer(url, "iceServers");
  }
  if (options.advertisedAddress !== undefined) parseAddress(options.advertisedAddress, "advertisedAddress");
  if (options.bindAddress !== undefined) parseAddress(options.bindAddress, "bindAddress");
  if (options.portRange !== undefined) {
    parsePortRange(`${options.portRange.begin}-${options.portRange.end}`, "portRange");
  }
  if (options.gatheringTimeoutMs !== undefined && !(options.gatheringTimeoutMs >= 0)) {
    throw new ConfigError(`invalid gatheringTimeoutMs ${options.gatheringTimeoutMs}: expected a number >= 0`);
  }
  return options;
}

/**
 * An ICE server in the browser's RTCIceServer form, for the demo page
 * (`turn:user:pass@host:port` becomes `{urls: "turn:host:port", username, credential}`).
 */
export function browserIceServer(url: string): { urls: string; username?: string; credential?: string } {
  const m = /^(stun|turns?):(?:([^:@]*):([^@]*)@)?(.+)$/.exec(url);
  if (m === null) return { urls: url };
  const [, scheme, username, credential, rest] = m;
  return username === undefined
    ? { urls: `${scheme}:${rest}` }
    : { urls: `${scheme}:${rest}`, username, credential: credential ?? "" };
}
