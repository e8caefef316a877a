// Options of gemini.Realtime (the Live API), their defaults, and how they are checked.
import { ConfigError } from "@callwright/spec";
import { type ConnectionOptions, defaultConnectionOptions } from "../settings.js";

/** Live API models (native audio and half-cascade); any other id works too. */
export type GeminiLiveModelId =
  | "gemini-2.5-flash-native-audio-preview-09-2025"
  | "gemini-live-2.5-flash-preview"
  | "gemini-2.0-flash-live-001"
  | (string & {});

/** The Live API's voice activity detection (`realtimeInputConfig.automaticActivityDetection`). */
export interface GeminiActivityDetection {
  /** Turn the server's detection off (then the model never answers audio on its own). Default false. */
  disabled: boolean;
  /** How readily speech starts: `START_SENSITIVITY_HIGH` or `_LOW`; undefined = the server's default. */
  startOfSpeechSensitivity: "START_SENSITIVITY_HIGH" | "START_SENSITIVITY_LOW" | undefined;
  /** How readily speech ends: `END_SENSITIVITY_HIGH` or `_LOW`; undefined = the server's default. */
  endOfSpeechSensitivity: "END_SENSITIVITY_HIGH" | "END_SENSITIVITY_LOW" | undefined;
  /** Speech needed before a start is committed, in ms; undefined = the server's default. */
  prefixPaddingMs: number | undefined;
  /** Silence that ends the user's turn, in ms; undefined = the server's default. */
  silenceDurationMs: number | undefined;
}

export interface RealtimeOptions extends ConnectionOptions {
  /** Live model id. */
  model: GeminiLiveModelId;
  /** Prebuilt voice name (`speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName`), e.g. "Puck", "Kore". */
  voice: string;
  /** BCP-47 language of the speech (`speechConfig.languageCode`); undefined = the model picks. */
  language: string | undefined;
  /** 0..2; undefined = the model's default. */
  temperature: number | undefined;
  /** Ask for transcripts of the user's audio (`inputAudioTranscription`). */
  inputTranscription: boolean;
  /** Ask for transcripts of the model's audio (`outputAudioTranscription`). */
  outputTranscription: boolean;
  activityDetection: GeminiActivityDetection;
  /** Stills a second of the call's cameras and screen shares sent as `realtimeInput.video` (JPEG); 0 = the model is blind. */
  videoFps: number;
  /**
   * Ask for session resumption handles, so a connection the server ends (`goAway`, about every
   * 10 minutes) or that drops is replaced by one that keeps the conversation.
   */
  sessionResumption: boolean;
  /** Let the server compress old context (`contextWindowCompression.slidingWindow`): calls longer than 15 minutes of audio. */
  contextWindowCompression: boolean;
  /** The WebSocket handshake must complete within this, in ms. */
  connectTimeoutMs: number;
  /** After the handshake, `setupComplete` must arrive within this, in ms. */
  setupTimeoutMs: number;
  /** Reconnections tried in a row after a drop or `goAway` before the session gives up. */
  maxReconnects: number;
  /** First reconnection's delay after a drop, doubling per attempt, in ms (a `goAway` reconnects at once). */
  reconnectBaseDelayMs: number;
}

/** What the options' nested activity detection takes: any of its fields. */
export type RealtimeSettings = Partial<Omit<RealtimeOptions, "activityDetection">> & {
  activityDetection?: Partial<GeminiActivityDetection>;
};

export const defaultActivityDetection = {
  disabled: false,
  startOfSpeechSensitivity: undefined,
  endOfSpeechSensitivity: undefined,
  prefixPaddingMs: undefined,
  silenceDurationMs: undefined,
} as const satisfies GeminiActivityDetection;

export const defaultRealtimeOptions = {
  ...defaultConnectionOptions,
  model: "gemini-2.5-flash-native-audio-preview-09-2025",
  voice: "Puck",
  language: undefined,
  temperature: undefined,
  inputTranscription: true,
  outputTranscription: true,
  activityDetection: defaultActivityDetection,
  videoFps: 1,
  sessionResumption: true,
  contextWindowCompression: true,
  connectTimeoutMs: 10_000,
  setupTimeoutMs: 10_000,
  maxReconnects: 3,
  reconnectBaseDelayMs: 250,
} as const satisfies RealtimeOptions;

/** Defaults, then the caller's settings (undefined counts as not given); checked. */
export function resolveRealtimeOptions(settings: RealtimeSettings): RealtimeOptions {
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const options: RealtimeOptions = {
    ...defaultRealtimeOptions,
    ...given,
    activityDetection: { ...defaultActivityDetection, ...settings.activityDetection },
  } as RealtimeOptions;
  if (typeof options.model !== "string" || options.model.trim() === "") {
    throw new ConfigError(
      'gemini.Realtime needs a model id, e.g. "gemini-2.5-flash-native-audio-preview-09-2025"',
    );
  }
  if (options.model.startsWith("models/")) options.model = options.model.slice("models/".length);
  for (const name of ["connectTimeoutMs", "setupTimeoutMs", "reconnectBaseDelayMs"] as const) {
    if (!(options[name] > 0)) {
      throw new ConfigError(`gemini.Realtime option ${name} must be a positive number of milliseconds`);
    }
  }
  if (!(options.videoFps >= 0 && options.videoFps <= 10)) {
    throw new ConfigError("gemini.Realtime option videoFps must be between 0 and 10 frames a second");
  }
  if (!Number.isInteger(options.maxReconnects) || options.maxReconnects < 0) {
    throw new ConfigError("gemini.Realtime option maxReconnects must be a whole number ≥ 0");
  }
  return options;
}
