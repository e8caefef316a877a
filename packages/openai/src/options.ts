// Options of the OpenAI-compatible LLM, their defaults, and how the environment fills them in.
import { ConfigError } from "@callwright/spec";

/** Model ids OpenAI serves today; any other string works (Ollama's "llama3.2", a vLLM model...). */
export type OpenAIModelId =
  | "gpt-4o-mini"
  | "gpt-4o"
  | "gpt-4.1"
  | "gpt-4.1-mini"
  | "gpt-4.1-nano"
  | "gpt-5"
  | "gpt-5-mini"
  | "gpt-5-nano"
  | "o4-mini"
  | (string & {});

export interface LLMOptions {
  /** Model id. Default: `OPENAI_MODEL`, else "gpt-4o-mini". */
  model: OpenAIModelId;
  /** Sent as `Authorization: Bearer …`. Default `OPENAI_API_KEY`. Needed for OpenAI itself only. */
  apiKey: string | undefined;
  /** Where the API lives, up to and including `/v1`. Default `OPENAI_BASE_URL`, else OpenAI's. */
  baseUrl: string;
  /** Sent as `OpenAI-Organization`. Default `OPENAI_ORG_ID`. */
  organization: string | undefined;
  /** Extra headers on every request (a proxy's auth, say). */
  headers: Readonly<Record<string, string>>;
  /** 0..2; the request's own temperature wins; undefined = the server's default. */
  temperature: number | undefined;
  /** Cap on the reply's tokens; the request's own cap wins; undefined = the server's default. */
  maxOutputTokens: number | undefined;
  /** From sending a request to the response's status line and headers, per attempt. */
  firstByteTimeoutMs: number;
  /** Longest silence between two pieces of the streamed body (keep-alive comments count). */
  idleTimeoutMs: number;
  /** Retries after the first attempt, for 408, 409, 429, 5xx, timeouts and dropped connections, only before anything was streamed. */
  maxRetries: number;
  /** First retry's delay; it doubles per retry, with up to 25% jitter. */
  retryBaseDelayMs: number;
  /** Longest wait before a retry. A server asking for longer (`retry-after`) gets no retry. */
  maxRetryDelayMs: number;
  /** All attempts and waits of one request together; a retry whose wait would end past it is not made. */
  retryBudgetMs: number;
}

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

export const defaultLLMOptions = {
  model: "gpt-4o-mini",
  apiKey: undefined,
  baseUrl: OPENAI_BASE_URL,
  organization: undefined,
  headers: {},
  temperature: undefined,
  maxOutputTokens: undefined,
  firstByteTimeoutMs: 15_000,
  idleTimeoutMs: 30_000,
  maxRetries: 2,
  retryBaseDelayMs: 250,
  maxRetryDelayMs: 10_000,
  retryBudgetMs: 60_000,
} as const satisfies LLMOptions;

/** What `new LLM()` takes: any option; the rest comes from the environment, then the defaults. */
export type LLMSettings = Partial<LLMOptions>;

/** Reads OPENAI_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_ORG_ID (empty counts as unset). */
export function optionsFromEnv(env: NodeJS.ProcessEnv): Partial<LLMOptions> {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const fromEnv: Partial<LLMOptions> = {};
  const model = read("OPENAI_MODEL");
  const apiKey = read("OPENAI_API_KEY");
  const baseUrl = read("OPENAI_BASE_URL");
  const organization = read("OPENAI_ORG_ID");
  if (model !== undefined) fromEnv.model = model;
  if (apiKey !== undefined) fromEnv.apiKey = apiKey;
  if (baseUrl !== undefined) fromEnv.baseUrl = baseUrl;
  if (organization !== undefined) fromEnv.organization = organization;
  return fromEnv;
}

/** Defaults, then the environment, then the caller's settings; checked. */
export function resolveOptions(settings: LLMSettings, env: NodeJS.ProcessEnv): LLMOptions {
  const options: LLMOptions = { ...defaultLLMOptions, ...optionsFromEnv(env), ...withoutUndefined(settings) };
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch (error) {
    throw new ConfigError(
      `invalid OpenAI base URL '${options.baseUrl}': expected e.g. ${OPENAI_BASE_URL} or http://127.0.0.1:11434/v1`,
      { cause: error },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(
      `invalid OpenAI base URL '${options.baseUrl}': it must start with http:// or https://`,
    );
  }
  options.baseUrl = options.baseUrl.replace(/\/+$/, "");
  if (isOpenAI(options.baseUrl) && options.apiKey === undefined) {
    throw new ConfigError(
      "OPENAI_API_KEY is not set: OpenAI's API needs a key. Set OPENAI_API_KEY, pass `apiKey`, or point OPENAI_BASE_URL at a local OpenAI-compatible server (Ollama: http://127.0.0.1:11434/v1).",
    );
  }
  if (options.model.trim() === "")
    throw new ConfigError("the OpenAI model id is empty: pass `model` or set OPENAI_MODEL");
  for (const name of [
    "firstByteTimeoutMs",
    "idleTimeoutMs",
    "retryBaseDelayMs",
    "maxRetryDelayMs",
    "retryBudgetMs",
  ] as const) {
    if (!(options[name] > 0))
      throw new ConfigError(`openai.LLM option ${name} must be a positive number of milliseconds`);
  }
  if (!Number.isInteger(options.maxRetries) || options.maxRetries < 0) {
    throw new ConfigError("openai.LLM option maxRetries must be a whole number ≥ 0");
  }
  return options;
}

/** True for OpenAI's own API (which needs a key and takes `max_completion_tokens`). */
export function isOpenAI(baseUrl: string): boolean {
  return new URL(baseUrl).hostname === "api.openai.com";
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
