// Where the audio API lives and which key it gets. STT and TTS each have their own base URL
// variable (OPENAI_STT_BASE_URL, OPENAI_TTS_BASE_URL) falling back to OPENAI_BASE_URL, so the
// LLM can be one server and speech another. OPENAI_API_KEY is only sent to the server it was
// meant for (OpenAI, or OPENAI_BASE_URL's origin): a speech server set on its own gets its own
// key variable, never the LLM's key.
import { ConfigError } from "@callwright/spec";
import { OPENAI_BASE_URL } from "../options.js";

export type AudioKind = "stt" | "tts";

export interface Endpoint {
  baseUrl: string;
  apiKey: string | undefined;
  /** Where the base URL came from, for the log line that says why ("OPENAI_STT_BASE_URL"). */
  baseUrlSource: string;
}

export function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function origin(url: string): string {
  return new URL(url).origin;
}

/** The base URL and key for `kind` from the options, then the environment (see the header). */
export function resolveEndpoint(
  kind: AudioKind,
  settings: { baseUrl?: string | undefined; apiKey?: string | undefined },
  env: NodeJS.ProcessEnv,
  what: string,
): Endpoint {
  const KIND = kind.toUpperCase();
  const ownUrl = read(env, `OPENAI_${KIND}_BASE_URL`);
  const sharedUrl = read(env, "OPENAI_BASE_URL");
  let baseUrlSource: string;
  let raw: string;
  if (settings.baseUrl !== undefined && settings.baseUrl.trim() !== "") {
    raw = settings.baseUrl;
    baseUrlSource = "the baseUrl option";
  } else if (ownUrl !== undefined) {
    raw = ownUrl;
    baseUrlSource = `OPENAI_${KIND}_BASE_URL`;
  } else if (sharedUrl !== undefined) {
    raw = sharedUrl;
    baseUrlSource = "OPENAI_BASE_URL";
  } else {
    raw = OPENAI_BASE_URL;
    baseUrlSource = "the default (OpenAI)";
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (error) {
    throw new ConfigError(
      `${what}: ${baseUrlSource} is not a URL: '${raw}' (expected e.g. ${OPENAI_BASE_URL} or http://127.0.0.1:8000/v1)`,
      { cause: error },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${what}: ${baseUrlSource} must start with http:// or https://, got '${raw}'`);
  }
  const baseUrl = url.toString().replace(/\/+$/, "");
  // The shared key belongs to OPENAI_BASE_URL's server (OpenAI when unset): sent there only.
  const keyOrigin = origin(sharedUrl ?? OPENAI_BASE_URL);
  const apiKey =
    (settings.apiKey?.trim() || undefined) ??
    read(env, `OPENAI_${KIND}_API_KEY`) ??
    (origin(baseUrl) === keyOrigin ? read(env, "OPENAI_API_KEY") : undefined);
  if (url.hostname === "api.openai.com" && apiKey === undefined) {
    throw new ConfigError(
      `${what}: OpenAI's audio API needs a key: set OPENAI_API_KEY (or OPENAI_${KIND}_API_KEY), pass \`apiKey\`, or point OPENAI_${KIND}_BASE_URL at a local server that speaks the same API.`,
      { code: "api_key_missing" },
    );
  }
  return { baseUrl, apiKey, baseUrlSource };
}
