// What every Gemini model class shares: the key (option, GOOGLE_API_KEY, GEMINI_API_KEY), the
// service's base URL (option or GEMINI_BASE_URL: scheme, host, port, any proxy prefix), the API
// version and extra headers. The LLM uses it now; the Live API's class will too.
import { baseUrlFrom, requireApiKey } from "@callwright/provider-utils";
import { ConfigError } from "@callwright/spec";

export const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com";

/** The variables a key is read from, in order (Google's SDK prefers GOOGLE_API_KEY too). */
export const API_KEY_VARIABLES = ["GOOGLE_API_KEY", "GEMINI_API_KEY"] as const;

export interface ConnectionOptions {
  /** Sent as `x-goog-api-key`. Default `GOOGLE_API_KEY`, else `GEMINI_API_KEY`; required. */
  apiKey: string | undefined;
  /** Scheme, host and port of the service (and a proxy's path prefix). Default `GEMINI_BASE_URL`, else Google's. */
  baseUrl: string;
  /** The API version in the path. */
  apiVersion: string;
  /** Extra headers on every request (a proxy's auth, say). */
  headers: Readonly<Record<string, string>>;
}

export const defaultConnectionOptions = {
  apiKey: undefined,
  baseUrl: GEMINI_BASE_URL,
  apiVersion: "v1beta",
  headers: {},
} as const satisfies ConnectionOptions;

/** A resolved connection: the key checked present, the base URL without a trailing slash. */
export interface Connection {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly headers: Readonly<Record<string, string>>;
  /** "Gemini" for Google's service, else "the Gemini API at <url>" (for messages). */
  readonly where: string;
}

/**
 * The connection from the options, then the environment, then the defaults. Throws a ConfigError
 * naming GOOGLE_API_KEY and GEMINI_API_KEY when no key is found.
 */
export function resolveConnection(
  options: Partial<ConnectionOptions>,
  env: NodeJS.ProcessEnv,
  what: string,
): Connection {
  const apiKey = requireApiKey({
    value: options.apiKey,
    variables: API_KEY_VARIABLES,
    env,
    providerName: what,
  });
  const baseUrl = baseUrlFrom({
    value: options.baseUrl,
    variable: "GEMINI_BASE_URL",
    defaultUrl: GEMINI_BASE_URL,
    env,
  });
  const apiVersion = options.apiVersion ?? defaultConnectionOptions.apiVersion;
  if (!/^v\d+(alpha|beta)?$/.test(apiVersion)) {
    throw new ConfigError(`${what} option apiVersion must look like "v1beta" or "v1", got '${apiVersion}'`);
  }
  return {
    apiKey,
    baseUrl,
    apiVersion,
    headers: options.headers ?? {},
    where:
      new URL(baseUrl).hostname === "generativelanguage.googleapis.com"
        ? "Gemini"
        : `the Gemini API at ${baseUrl}`,
  };
}

/** Headers of every request: the key, then the user's extra headers. */
export function requestHeaders(connection: Connection): Record<string, string> {
  return { "x-goog-api-key": connection.apiKey, ...connection.headers };
}
