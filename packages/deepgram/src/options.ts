// Options of deepgram.STT, their defaults, and how the environment fills them in.
import { apiKeyFrom, baseUrlFrom } from "@callwright/provider-utils";
import { ConfigError } from "@callwright/spec";

/** Deepgram's streaming models; any other id Deepgram serves works too. */
export type DeepgramModelId =
  | "nova-3"
  | "nova-3-general"
  | "nova-3-medical"
  | "nova-2"
  | "nova-2-general"
  | "nova-2-meeting"
  | "nova-2-phonecall"
  | "nova-2-conversationalai"
  | "nova"
  | "enhanced"
  | "base"
  | (string & {});

export interface STTOptions {
  /** Deepgram model (`model=`). Default "nova-3". */
  model: DeepgramModelId;
  /** Sent as `Authorization: Token …`. Default `DEEPGRAM_API_KEY`. */
  apiKey: string | undefined;
  /** Scheme, host and port of the service; the plugin derives `ws(s)://…/v1/listen`. Default `DEEPGRAM_BASE_URL`, else https://api.deepgram.com. */
  baseUrl: string;
  /** BCP-47 language (`language=`). Default: the stream's language (the agent's), else Deepgram's own default ("en"). */
  language: string | undefined;
  /** Rate of the 16-bit mono PCM `push` takes and `sample_rate=` declares, in Hz. Default 16000. */
  inputSampleRateHz: number;
  /** Ask for interim results (`interim_results=`), which become `interim` parts. Default true. */
  interimResults: boolean;
  /** Silence after which Deepgram finalizes on its own and marks `speech_final` (`endpointing=`), in ms; false turns it off. Default 300. */
  endpointingMs: number | false;
  /** Silence (by word timings) after which Deepgram sends `UtteranceEnd` (`utterance_end_ms=`, ≥ 1000, needs interim results), in ms; false turns it off. Default 1000 (off when `interimResults` is false). */
  utteranceEndMs: number | false;
  /** Ask for `SpeechStarted` events (`vad_events=`), which become `speech_started` parts. Default true. */
  vadEvents: boolean;
  /** Deepgram's smart formatting (`smart_format=`): numerals, dates, currency. Default false. */
  smartFormat: boolean;
  /** Punctuation and capitals (`punctuate=`). Default true. */
  punctuate: boolean;
  /** Words and phrases to recognize better: `keyterm=` (nova-3) or `keywords=` (older models). Default none. */
  keyterms: readonly string[];
  /** More query parameters, sent as they are (`{ diarize: "true" }`). Default none. */
  extraQuery: Readonly<Record<string, string>>;
  /** While no audio flows, send `KeepAlive` this often, in ms (Deepgram closes a socket silent for 10 s). Default 4000. */
  keepAliveIntervalMs: number;
  /** The WebSocket handshake must complete within this, in ms. Default 10000. */
  connectTimeoutMs: number;
  /** How long to wait for the answer to a `Finalize` before settling the segment with what was heard, in ms (Deepgram does not always answer one). Default 1000. */
  finalizeTimeoutMs: number;
  /** After `end()`, how long to wait for Deepgram's last results and its close, in ms. Default 5000. */
  closeTimeoutMs: number;
  /** Reconnects in a row after Deepgram drops an idle stream (one that owes no transcript); a drop that owes one ends the stream for the voice loop to replay. Default 3. */
  maxReconnects: number;
  /** First reconnect's delay, in ms; it doubles per attempt. Default 250 (the first reconnect is at once). */
  reconnectBaseDelayMs: number;
}

export const DEEPGRAM_BASE_URL = "https://api.deepgram.com";

export const defaultSTTOptions = {
  model: "nova-3",
  apiKey: undefined,
  baseUrl: DEEPGRAM_BASE_URL,
  language: undefined,
  inputSampleRateHz: 16_000,
  interimResults: true,
  endpointingMs: 300,
  utteranceEndMs: 1000,
  vadEvents: true,
  smartFormat: false,
  punctuate: true,
  keyterms: [],
  extraQuery: {},
  keepAliveIntervalMs: 4000,
  connectTimeoutMs: 10_000,
  finalizeTimeoutMs: 1000,
  closeTimeoutMs: 5000,
  maxReconnects: 3,
  reconnectBaseDelayMs: 250,
} as const satisfies STTOptions;

/** What `new deepgram.STT()` takes: any option; the rest comes from the environment, then the defaults. */
export type STTSettings = Partial<STTOptions>;

export const API_KEY_VARIABLE = "DEEPGRAM_API_KEY";
export const BASE_URL_VARIABLE = "DEEPGRAM_BASE_URL";

/** Defaults, then the environment, then the caller's settings; checked (a missing key is checked at warm-up). */
export function resolveOptions(settings: STTSettings, env: NodeJS.ProcessEnv): STTOptions {
  const given = withoutUndefined(settings);
  const options: STTOptions = { ...defaultSTTOptions, ...given };
  options.apiKey = apiKeyFrom({ value: settings.apiKey, variables: [API_KEY_VARIABLE], env });
  options.baseUrl = baseUrlFrom({
    value: settings.baseUrl,
    variable: BASE_URL_VARIABLE,
    defaultUrl: DEEPGRAM_BASE_URL,
    env,
  });
  if (typeof options.model !== "string" || options.model.trim() === "") {
    throw new ConfigError("deepgram.STT option model is empty: pass a Deepgram model id such as 'nova-3'");
  }
  if (!Number.isInteger(options.inputSampleRateHz) || options.inputSampleRateHz < 8000) {
    throw new ConfigError(
      `deepgram.STT option inputSampleRateHz must be a whole number of Hz ≥ 8000, got ${options.inputSampleRateHz}`,
    );
  }
  if (
    options.endpointingMs !== false &&
    !(Number.isInteger(options.endpointingMs) && options.endpointingMs >= 0)
  ) {
    throw new ConfigError("deepgram.STT option endpointingMs must be a whole number of ms ≥ 0, or false");
  }
  // UtteranceEnd needs interim results: without them it is off unless asked for (then it is an error).
  if (!options.interimResults && settings.utteranceEndMs === undefined) options.utteranceEndMs = false;
  if (options.utteranceEndMs !== false) {
    if (!(Number.isInteger(options.utteranceEndMs) && options.utteranceEndMs >= 1000)) {
      throw new ConfigError(
        "deepgram.STT option utteranceEndMs must be a whole number of ms ≥ 1000 (Deepgram's minimum), or false to turn UtteranceEnd off",
      );
    }
    if (!options.interimResults) {
      throw new ConfigError(
        "deepgram.STT option utteranceEndMs needs interimResults: true (Deepgram computes UtteranceEnd from interim results)",
      );
    }
  }
  for (const name of [
    "keepAliveIntervalMs",
    "connectTimeoutMs",
    "finalizeTimeoutMs",
    "closeTimeoutMs",
    "reconnectBaseDelayMs",
  ] as const) {
    if (!(Number.isFinite(options[name]) && options[name] > 0)) {
      throw new ConfigError(`deepgram.STT option ${name} must be a positive number of milliseconds`);
    }
  }
  if (options.keepAliveIntervalMs >= 10_000) {
    throw new ConfigError(
      "deepgram.STT option keepAliveIntervalMs must be under 10000: Deepgram closes a socket that hears nothing for 10 s",
    );
  }
  if (!Number.isInteger(options.maxReconnects) || options.maxReconnects < 0) {
    throw new ConfigError("deepgram.STT option maxReconnects must be a whole number ≥ 0");
  }
  if (
    !Array.isArray(options.keyterms) ||
    options.keyterms.some((t) => typeof t !== "string" || t.trim() === "")
  ) {
    throw new ConfigError("deepgram.STT option keyterms must be a list of non-empty strings");
  }
  return options;
}

/** True for the nova-3 family, which takes `keyterm=` (older models take `keywords=`). */
export function isNova3(model: string): boolean {
  return model === "nova-3" || model.startsWith("nova-3-");
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
