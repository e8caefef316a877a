// Options of elevenlabs.TTS, their defaults, and how the environment fills them in.
import { apiKeyFrom, baseUrlFrom } from "@callwright/provider-utils";
import { ConfigError } from "@callwright/spec";

/** ElevenLabs models that stream; any other id ElevenLabs serves works too. */
export type ElevenLabsModelId =
  | "eleven_flash_v2_5"
  | "eleven_flash_v2"
  | "eleven_turbo_v2_5"
  | "eleven_turbo_v2"
  | "eleven_multilingual_v2"
  | (string & {});

/** PCM rates ElevenLabs produces (`output_format=pcm_<rate>`). 44100 needs a Pro plan. */
export type ElevenLabsSampleRateHz = 8000 | 16000 | 22050 | 24000 | 44100;

/** The voice's delivery; unset fields keep the voice's own settings. */
export interface VoiceSettings {
  /** 0..1: higher is steadier, lower is more expressive. */
  stability?: number;
  /** 0..1: how closely to keep to the original voice. */
  similarityBoost?: number;
  /** 0..1: style exaggeration (v2+ models; adds latency). */
  style?: number;
  useSpeakerBoost?: boolean;
  /** 0.7..1.2; 1 is normal speed. */
  speed?: number;
}

/**
 * How streamed text reaches ElevenLabs:
 * - "multi-context": one WebSocket (`/multi-stream-input`) kept open by the model, one context
 *   per reply; a reply starts without a handshake, and barge-in closes its context.
 * - "socket-per-reply": a `/stream-input` WebSocket per reply, opened when the reply starts and
 *   closed when it ends (or is interrupted).
 */
export type StreamingMode = "multi-context" | "socket-per-reply";

export interface TTSOptions {
  /** The voice (`/text-to-speech/{voice_id}`). Default "VR6AewLTigWG4xSOukaG", the seed's. */
  voiceId: string;
  /** The model (`model_id`). Default "eleven_flash_v2_5" (ElevenLabs' lowest-latency model, 32 languages). */
  model: ElevenLabsModelId;
  /** Sent as `xi-api-key`. Default `ELEVENLABS_API_KEY`. */
  apiKey: string | undefined;
  /** Scheme, host and port of the service; the plugin derives the paths and `wss://`. Default `ELEVENLABS_BASE_URL`, else https://api.elevenlabs.io. */
  baseUrl: string;
  /** Rate of the PCM it yields (`output_format=pcm_<rate>`), in Hz. Default 24000. */
  outputSampleRateHz: ElevenLabsSampleRateHz;
  /** Voice settings (sent once per reply). Default: the voice's own. */
  voiceSettings: VoiceSettings | undefined;
  /** ISO 639-1 language to enforce (`language_code`; flash/turbo v2.5 only). Default: none (the model detects it). */
  languageCode: string | undefined;
  /** Characters ElevenLabs buffers before each generation (`chunk_length_schedule`, each 50..500). Default: the service's ([120, 160, 250, 290]). */
  chunkLengthSchedule: readonly number[] | undefined;
  /** How streamed text reaches ElevenLabs (see StreamingMode). Default "multi-context" (measured faster: docs/providers.md). */
  streaming: StreamingMode;
  /** ElevenLabs closes a socket that gets no text for this long (`inactivity_timeout`, 1..180), in s. Default 180 (the service's own default is 20). */
  inactivityTimeoutS: number;
  /** Let ElevenLabs keep request history (`enable_logging`); false is zero-retention mode (enterprise). Default true. */
  enableLogging: boolean;
  /** The WebSocket handshake, or an HTTP answer's status line, must come within this, in ms. Default 10000. */
  connectTimeoutMs: number;
  /** Longest wait for ElevenLabs' next message while it owes audio (after a flush or the end), in ms. Default 10000. */
  responseTimeoutMs: number;
  /** Retries of a reply's segment, or of an HTTP synthesis, that failed before its first audio (dropped socket, 5xx, 429). Default 2. */
  maxRetries: number;
  /** First retry's delay, in ms; it doubles per retry. Default 250. */
  retryBaseDelayMs: number;
}

export const ELEVENLABS_BASE_URL = "https://api.elevenlabs.io";
export const DEFAULT_VOICE_ID = "VR6AewLTigWG4xSOukaG";
const RATES: readonly number[] = [8000, 16000, 22050, 24000, 44100];

export const defaultTTSOptions = {
  voiceId: DEFAULT_VOICE_ID,
  model: "eleven_flash_v2_5",
  apiKey: undefined,
  baseUrl: ELEVENLABS_BASE_URL,
  outputSampleRateHz: 24000,
  voiceSettings: undefined,
  languageCode: undefined,
  chunkLengthSchedule: undefined,
  streaming: "multi-context",
  inactivityTimeoutS: 180,
  enableLogging: true,
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 10_000,
  maxRetries: 2,
  retryBaseDelayMs: 250,
} as const satisfies TTSOptions;

/** What `new elevenlabs.TTS()` takes: any option; the rest comes from the environment, then the defaults. */
export type TTSSettings = Partial<TTSOptions>;

export const API_KEY_VARIABLE = "ELEVENLABS_API_KEY";
export const BASE_URL_VARIABLE = "ELEVENLABS_BASE_URL";

/** Defaults, then the environment, then the caller's settings; checked (a missing key is checked at warm-up). */
export function resolveOptions(settings: TTSSettings, env: NodeJS.ProcessEnv): TTSOptions {
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const options: TTSOptions = { ...defaultTTSOptions, ...given };
  options.apiKey = apiKeyFrom({ value: settings.apiKey, variables: [API_KEY_VARIABLE], env });
  options.baseUrl = baseUrlFrom({
    value: settings.baseUrl,
    variable: BASE_URL_VARIABLE,
    defaultUrl: ELEVENLABS_BASE_URL,
    env,
  });
  const fail = (message: string) => {
    throw new ConfigError(`elevenlabs.TTS option ${message}`);
  };
  if (typeof options.voiceId !== "string" || !/^[A-Za-z0-9_-]+$/.test(options.voiceId)) {
    fail(`voiceId must be an ElevenLabs voice id (letters and digits), got '${String(options.voiceId)}'`);
  }
  if (typeof options.model !== "string" || options.model.trim() === "") fail("model is empty");
  if (!RATES.includes(options.outputSampleRateHz)) {
    fail(`outputSampleRateHz must be one of ${RATES.join(", ")} (Hz), got ${options.outputSampleRateHz}`);
  }
  if (options.streaming !== "multi-context" && options.streaming !== "socket-per-reply") {
    fail(`streaming must be "multi-context" or "socket-per-reply", got '${String(options.streaming)}'`);
  }
  if (
    !(
      Number.isInteger(options.inactivityTimeoutS) &&
      options.inactivityTimeoutS >= 1 &&
      options.inactivityTimeoutS <= 180
    )
  ) {
    fail(
      `inactivityTimeoutS must be a whole number of seconds from 1 to 180, got ${options.inactivityTimeoutS}`,
    );
  }
  const schedule = options.chunkLengthSchedule;
  if (schedule !== undefined && (schedule.length === 0 || schedule.some((n) => !(n >= 50 && n <= 500)))) {
    fail("chunkLengthSchedule must be a non-empty list of character counts from 50 to 500");
  }
  for (const name of ["connectTimeoutMs", "responseTimeoutMs", "retryBaseDelayMs"] as const) {
    if (!(Number.isFinite(options[name]) && options[name] > 0))
      fail(`${name} must be a positive number of milliseconds`);
  }
  if (!Number.isInteger(options.maxRetries) || options.maxRetries < 0)
    fail("maxRetries must be a whole number ≥ 0");
  const vs = options.voiceSettings;
  if (vs !== undefined) {
    for (const name of ["stability", "similarityBoost", "style"] as const) {
      const v = vs[name];
      if (v !== undefined && !(v >= 0 && v <= 1)) fail(`voiceSettings.${name} must be from 0 to 1, got ${v}`);
    }
    if (vs.speed !== undefined && !(vs.speed >= 0.7 && vs.speed <= 1.2)) {
      fail(`voiceSettings.speed must be from 0.7 to 1.2, got ${vs.speed}`);
    }
  }
  return options;
}
