// Options of the Gemini LLM, their defaults, and how they are checked.
import { ConfigError } from "@callwright/spec";
import { type ConnectionOptions, defaultConnectionOptions } from "../settings.js";

/** Gemini models that stream text with function calling; any other id works too. */
export type GeminiModelId =
  | "gemini-2.5-flash"
  | "gemini-2.5-flash-lite"
  | "gemini-2.5-pro"
  | "gemini-2.0-flash"
  | "gemini-2.0-flash-lite"
  | "gemini-flash-latest"
  | "gemini-flash-lite-latest"
  | (string & {});

export interface LLMOptions extends ConnectionOptions {
  /** Model id, e.g. "gemini-2.5-flash". */
  model: GeminiModelId;
  /** 0..2; the request's own temperature wins; undefined = the model's default. */
  temperature: number | undefined;
  /** Cap on the reply's tokens; the request's own cap wins; undefined = the model's default. */
  maxOutputTokens: number | undefined;
  /**
   * Tokens the model may spend thinking before it answers (`thinkingConfig.thinkingBudget`):
   * 0 turns thinking off on Flash models (the first word comes much sooner: good for voice),
   * -1 lets the model decide; undefined = the model's default (2.5 Flash and Pro think).
   */
  thinkingBudget: number | undefined;
  /** From sending a request to the response's status line and headers, per attempt. */
  firstByteTimeoutMs: number;
  /** Longest silence between two pieces of the streamed body. */
  idleTimeoutMs: number;
  /** Retries after the first attempt, for 408, 429, 5xx, timeouts and dropped connections, only before anything was streamed. */
  maxRetries: number;
  /** First retry's delay; it doubles per retry, with up to 25% jitter. A 429's RetryInfo delay is used instead when given. */
  retryBaseDelayMs: number;
  /** Longest wait before a retry. A server asking for longer (RetryInfo) gets no retry. */
  maxRetryDelayMs: number;
  /** All attempts and waits of one request together; a retry whose wait would end past it is not made. */
  retryBudgetMs: number;
}

export const defaultLLMOptions = {
  ...defaultConnectionOptions,
  model: "gemini-2.5-flash",
  temperature: undefined,
  maxOutputTokens: undefined,
  thinkingBudget: undefined,
  firstByteTimeoutMs: 15_000,
  idleTimeoutMs: 30_000,
  maxRetries: 2,
  retryBaseDelayMs: 250,
  maxRetryDelayMs: 10_000,
  retryBudgetMs: 60_000,
} as const satisfies LLMOptions;

/** What `new gemini.LLM()` takes: any option; the key and base URL may come from the environment. */
export type LLMSettings = Partial<LLMOptions>;

/** Defaults, then the caller's settings (undefined counts as not given); checked. */
export function resolveLLMOptions(settings: LLMSettings): LLMOptions {
  const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const options: LLMOptions = { ...defaultLLMOptions, ...given };
  if (typeof options.model !== "string" || options.model.trim() === "") {
    throw new ConfigError('gemini.LLM needs a model id, e.g. "gemini-2.5-flash"');
  }
  if (options.model.startsWith("models/")) options.model = options.model.slice("models/".length);
  for (const name of [
    "firstByteTimeoutMs",
    "idleTimeoutMs",
    "retryBaseDelayMs",
    "maxRetryDelayMs",
    "retryBudgetMs",
  ] as const) {
    if (!(options[name] > 0)) {
      throw new ConfigError(`gemini.LLM option ${name} must be a positive number of milliseconds`);
    }
  }
  if (!Number.isInteger(options.maxRetries) || options.maxRetries < 0) {
    throw new ConfigError("gemini.LLM option maxRetries must be a whole number ≥ 0");
  }
  if (options.temperature !== undefined && !(options.temperature >= 0 && options.temperature <= 2)) {
    throw new ConfigError("gemini.LLM option temperature must be between 0 and 2");
  }
  if (
    options.maxOutputTokens !== undefined &&
    !(Number.isInteger(options.maxOutputTokens) && options.maxOutputTokens > 0)
  ) {
    throw new ConfigError("gemini.LLM option maxOutputTokens must be a whole number > 0");
  }
  if (
    options.thinkingBudget !== undefined &&
    !(Number.isInteger(options.thinkingBudget) && options.thinkingBudget >= -1)
  ) {
    throw new ConfigError(
      "gemini.LLM option thinkingBudget must be a whole number of tokens, 0 (off) or -1 (dynamic)",
    );
  }
  return options;
}
