// Options of the Stream edge, with their defaults and the environment variables they come from.
import type { RetryOptions } from "@callwright/provider-utils";
import type { OpusSampleRateHz } from "@callwright/webrtc";
import { defaultSfuSessionTimingOptions, type SfuSessionTimingOptions } from "../sfu/session.js";

export interface StreamEdgeOptions extends SfuSessionTimingOptions {
  /** Your app's key. Env `STREAM_API_KEY` (required). */
  apiKey: string | undefined;
  /** Your app's secret (signs the tokens; never sent). Env `STREAM_API_SECRET` (required). */
  apiSecret: string | undefined;
  /** Stream's API. Env `STREAM_BASE_URL`; default `https://video.stream-io-api.com`. */
  baseUrl: string;
  /** Stream's demo app, for the link `run` prints. Env `EXAMPLE_BASE_URL`; default `https://pronto.getstream.io`. */
  demoBaseUrl: string;
  /** Longest wait for one coordinator REST call. */
  requestTimeoutMs: number;
  /** Retries of a coordinator call that failed in a way worth retrying (429, 5xx, no answer). */
  requestRetry: Partial<RetryOptions>;
  /** A dropped link or a retryable SFU error rejoins at most this many times in a row. */
  maxRejoinAttempts: number;
  /** Wait before the first rejoin; doubled for each next one. */
  rejoinBackoffMs: number;
  /** Rate of the participants' PCM the connection emits (Opus decodes straight to it). */
  inputSampleRateHz: 16000 | 48000;
  /** Rate `sendAudio` takes. */
  outputSampleRateHz: OpusSampleRateHz;
  opusBitrateBps: number;
  /** Opus encoder complexity 0..10. */
  opusComplexity: number;
  /** Also send interim (non-final) transcripts as custom events (many small REST calls). */
  sendInterimTranscripts: boolean;
  /** Twirp body encoding to the SFU. */
  rpcEncoding: "protobuf" | "json";
  /** Local address the media sockets bind to; default every interface. */
  bindAddress: string | undefined;
  /** UDP ports ICE may use, inclusive; default any. */
  portRange: { begin: number; end: number } | undefined;
  /** Longest wait for local ICE candidates before sending an SDP. */
  gatheringTimeoutMs: number;
}

export const defaultStreamEdgeOptions = {
  ...defaultSfuSessionTimingOptions,
  apiKey: undefined,
  apiSecret: undefined,
  baseUrl: "https://video.stream-io-api.com",
  demoBaseUrl: "https://pronto.getstream.io",
  requestTimeoutMs: 10_000,
  requestRetry: { maxRetries: 2, baseDelayMs: 250, totalBudgetMs: 15_000 },
  maxRejoinAttempts: 3,
  rejoinBackoffMs: 250,
  inputSampleRateHz: 16000,
  outputSampleRateHz: 48000,
  opusBitrateBps: 32_000,
  opusComplexity: 8,
  sendInterimTranscripts: false,
  rpcEncoding: "protobuf",
  bindAddress: undefined,
  portRange: undefined,
  gatheringTimeoutMs: 2000,
} as const satisfies StreamEdgeOptions;

export const STREAM_ENV = {
  apiKey: "STREAM_API_KEY",
  apiSecret: "STREAM_API_SECRET",
  baseUrl: "STREAM_BASE_URL",
  demoBaseUrl: "EXAMPLE_BASE_URL",
} as const;

/** The options the environment sets (only those it sets, blank values ignored). */
export function streamOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<StreamEdgeOptions> {
  const out: Partial<StreamEdgeOptions> = {};
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const apiKey = get(STREAM_ENV.apiKey);
  if (apiKey !== undefined) out.apiKey = apiKey;
  const apiSecret = get(STREAM_ENV.apiSecret);
  if (apiSecret !== undefined) out.apiSecret = apiSecret;
  const baseUrl = get(STREAM_ENV.baseUrl);
  if (baseUrl !== undefined) out.baseUrl = baseUrl;
  const demo = get(STREAM_ENV.demoBaseUrl);
  if (demo !== undefined) out.demoBaseUrl = demo;
  return out;
}
