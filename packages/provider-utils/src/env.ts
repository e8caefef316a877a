// Keys and base URLs from options or the environment, checked once (at construction or warm-up)
// with messages that name the variable, so a missing key never shows up mid-call.
import { ConfigError } from "@callwright/spec";

export interface ApiKeySource {
  /** The `apiKey` option, when the user passed one (it wins). */
  value: string | undefined;
  /** Variables to read, in order, e.g. ["GOOGLE_API_KEY", "GEMINI_API_KEY"]. */
  variables: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** The key from the option, else the first variable set (blank counts as unset). */
export function apiKeyFrom(source: ApiKeySource): string | undefined {
  if (source.value !== undefined && source.value.trim() !== "") return source.value.trim();
  const env = source.env ?? process.env;
  for (const name of source.variables) {
    const v = env[name];
    if (v !== undefined && v.trim() !== "") return v.trim();
  }
  return undefined;
}

/**
 * The key, or a ConfigError that says which variable to set ("Deepgram needs an API key: set
 * DEEPGRAM_API_KEY, or pass `apiKey`.").
 */
export function requireApiKey(source: ApiKeySource & { providerName: string; option?: string }): string {
  const key = apiKeyFrom(source);
  if (key !== undefined) return key;
  const vars = source.variables.join(" or ");
  throw new ConfigError(
    `${source.providerName} needs an API key: set ${vars}, or pass \`${source.option ?? "apiKey"}\`.`,
    { code: "api_key_missing" },
  );
}

/**
 * A service's base URL (scheme, host, port, and any path prefix) from the option, else the
 * variable, else the default; checked to be http(s) and returned without a trailing slash.
 */
export function baseUrlFrom(source: {
  value: string | undefined;
  variable: string;
  defaultUrl: string;
  env?: NodeJS.ProcessEnv;
}): string {
  const env = source.env ?? process.env;
  const fromEnv = env[source.variable];
  const raw =
    source.value !== undefined && source.value.trim() !== ""
      ? source.value
      : fromEnv !== undefined && fromEnv.trim() !== ""
        ? fromEnv
        : source.defaultUrl;
  const named =
    source.value !== undefined && source.value.trim() !== "" ? "the `baseUrl` option" : source.variable;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`${named} is not a URL: '${raw}' (expected e.g. http://127.0.0.1:8101)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${named} must be an http:// or https:// URL, got '${raw}'`);
  }
  return url.toString().replace(/\/+$/, "");
}

/** The WebSocket URL for `path` on an http(s) base URL: http → ws, https → wss. */
export function webSocketUrl(
  baseUrl: string,
  path: string,
  query?: Record<string, string | undefined>,
): string {
  const url = new URL(baseUrl.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`));
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}
