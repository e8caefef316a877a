// The Gemini chat model: streams `POST {base}/{version}/models/{model}:streamGenerateContent?alt=sse`
// with Node's fetch, retries what is worth retrying before the first part (a 429 waits as long
// as its RetryInfo says), times out stalled servers, and drops the HTTP request the moment the
// caller's AbortSignal fires (barge-in). docs/providers.md says why this is not @google/genai.
import {
  causeText,
  decideRetry,
  gaveUp,
  SseDecoder,
  sleep,
  timeoutError,
  Watchdog,
} from "@callwright/provider-utils";
import {
  ClosedError,
  type LlmModel,
  type LlmPart,
  type LlmRequest,
  type LlmStreamOptions,
  type Logger,
  ProviderError,
  type WarmupOptions,
} from "@callwright/spec";
import { connectionError, httpError, streamBodyError, streamError } from "../errors.js";
import { type Connection, requestHeaders, resolveConnection } from "../settings.js";
import { CallBook } from "../wire/contents.js";
import type { GenerateContentResponse } from "../wire/types.js";
import { ResponseAssembler } from "./assembler.js";
import { type LLMOptions, type LLMSettings, resolveLLMOptions } from "./options.js";
import { generateContentBody } from "./request.js";

type Attempt = { kind: "done" } | { kind: "failed"; error: ProviderError };

const DONE: Attempt = { kind: "done" };

function failed(error: ProviderError): Attempt {
  return { kind: "failed", error };
}

/**
 * `new gemini.LLM({ model: "gemini-2.5-flash" })`: Google's Gemini API, key from `apiKey`,
 * GOOGLE_API_KEY or GEMINI_API_KEY (a missing key throws a ConfigError naming both), server from
 * `baseUrl` or GEMINI_BASE_URL.
 *
 * Failures arrive as an `error` part (a ProviderError with a stable `code`), after which the
 * stream ends; aborting the signal makes the iterator throw the signal's AbortError at once and
 * closes the HTTP request.
 */
export class LLM implements LlmModel {
  readonly specificationVersion = "v1";
  readonly provider = "gemini";
  readonly modelId: string;
  /** The service's base URL, without a trailing slash (the key is never exposed). */
  readonly baseUrl: string;
  readonly #options: LLMOptions;
  readonly #connection: Connection;
  readonly #calls = new CallBook();
  readonly #inFlight = new Set<AbortController>();
  #logger: Logger | undefined;
  #closed = false;

  constructor(settings: LLMSettings = {}, env: NodeJS.ProcessEnv = process.env) {
    this.#options = resolveLLMOptions(settings);
    // The user's own settings: a default base URL must not hide GEMINI_BASE_URL.
    this.#connection = resolveConnection(settings, env, "gemini.LLM");
    this.modelId = this.#options.model;
    this.baseUrl = this.#connection.baseUrl;
  }

  /**
   * Checks the key and the model at start (`GET /{version}/models/{model}`), so a wrong key or a
   * misspelt model shows before the first question, not in the middle of a call.
   */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    this.#logger = options.logger;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#options.firstByteTimeoutMs);
    const signal =
      options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
    const where = this.#connection.where;
    try {
      const response = await fetch(this.#url(""), { headers: requestHeaders(this.#connection), signal });
      const text = await response.text();
      if (!response.ok) throw httpError(response.status, response.statusText, text, where);
      this.#logger?.debug({ model: this.modelId }, "Gemini knows the model and accepts the key");
    } catch (error) {
      options.signal?.throwIfAborted();
      if (error instanceof ProviderError) throw error;
      if (controller.signal.aborted) {
        throw timeoutError({
          provider: "gemini",
          where,
          what: `no answer to GET models/${this.modelId}`,
          timeoutMs: this.#options.firstByteTimeoutMs,
          option: "firstByteTimeoutMs",
          code: "llm_timeout",
        });
      }
      throw connectionError(error, where);
    } finally {
      clearTimeout(timer);
    }
  }

  async *stream(request: LlmRequest, options: LlmStreamOptions): AsyncGenerator<LlmPart> {
    if (this.#closed) throw new ClosedError("gemini.LLM");
    const { signal } = options;
    signal.throwIfAborted();
    const { body, droppedSchemaKeywords } = generateContentBody(request, {
      model: this.modelId,
      temperature: this.#options.temperature,
      maxOutputTokens: this.#options.maxOutputTokens,
      thinkingBudget: this.#options.thinkingBudget,
      calls: this.#calls,
    });
    if (droppedSchemaKeywords.length > 0) {
      this.#logger?.debug(
        { dropped: droppedSchemaKeywords },
        "tool schemas use JSON-schema keywords Gemini has no form for; they were left out",
      );
    }
    const json = JSON.stringify(body);
    const inputChars =
      request.messages.reduce((n, m) => n + m.content.length, 0) +
      (request.tools === undefined ? 0 : JSON.stringify(request.tools).length);
    const retry = {
      maxRetries: this.#options.maxRetries,
      baseDelayMs: this.#options.retryBaseDelayMs,
      maxDelayMs: this.#options.maxRetryDelayMs,
      totalBudgetMs: this.#options.retryBudgetMs,
      jitterRatio: 0.25,
    };
    const startedAt = performance.now();
    for (let attempt = 0; ; attempt += 1) {
      const result = yield* this.#attempt(json, inputChars, signal);
      if (result.kind === "done") return;
      const { error } = result;
      const decision = decideRetry(error, attempt, performance.now() - startedAt, retry);
      if (!decision.retry) {
        yield { type: "error", error: gaveUp(error, attempt + 1, decision.reason) as Error };
        return;
      }
      this.#logger?.debug(
        { code: error.code, status: error.status, delayMs: decision.delayMs, attempt: attempt + 1 },
        "Gemini request failed; retrying",
      );
      await sleep(decision.delayMs, signal);
    }
  }

  /** Aborts requests in flight; later `stream` calls throw. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort(new ClosedError("gemini.LLM"));
    this.#inFlight.clear();
  }

  /** `{base}/{version}/models/{model}{suffix}` */
  #url(suffix: string): string {
    const { baseUrl, apiVersion } = this.#connection;
    return `${baseUrl}/${apiVersion}/models/${encodeURIComponent(this.modelId)}${suffix}`;
  }

  /** One HTTP request. Yields parts; returns whether it failed before yielding any. */
  async *#attempt(body: string, inputChars: number, signal: AbortSignal): AsyncGenerator<LlmPart, Attempt> {
    const where = this.#connection.where;
    const controller = new AbortController();
    const watchdog = new Watchdog({ controller, provider: "gemini", where, code: "llm_timeout" });
    this.#inFlight.add(controller);
    try {
      watchdog.arm("no response headers", this.#options.firstByteTimeoutMs, "firstByteTimeoutMs");
      let response: Response;
      try {
        response = await fetch(this.#url(":streamGenerateContent?alt=sse"), {
          method: "POST",
          headers: { ...requestHeaders(this.#connection), "content-type": "application/json" },
          body,
          signal: AbortSignal.any([signal, controller.signal]),
        });
      } catch (error) {
        this.#rethrowIfStopped(signal);
        return failed(watchdog.fired ?? connectionError(error, where));
      }
      watchdog.arm("nothing", this.#options.idleTimeoutMs, "idleTimeoutMs");
      if (!response.ok) {
        let text = "";
        try {
          text = await response.text();
        } catch {
          signal.throwIfAborted(); // otherwise the status says enough
        }
        return failed(httpError(response.status, response.statusText, text, where));
      }
      if (response.body === null)
        return failed(streamError(`${where} sent an empty body.`, "llm_bad_response"));
      return yield* this.#readEvents(response.body, inputChars, signal, controller, watchdog);
    } finally {
      watchdog.clear();
      this.#inFlight.delete(controller);
    }
  }

  /** The streamed body: SSE events, each a GenerateContentResponse, until the body ends. */
  async *#readEvents(
    stream: ReadableStream<Uint8Array>,
    inputChars: number,
    signal: AbortSignal,
    controller: AbortController,
    watchdog: Watchdog,
  ): AsyncGenerator<LlmPart, Attempt> {
    const where = this.#connection.where;
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    const sse = new SseDecoder();
    const assembler = new ResponseAssembler(this.#calls);
    let yielded = false;
    let bodyDone = false;
    /** A failure before any part may be retried; after one, it ends the stream as an error part. */
    const stop = function* (error: ProviderError): Generator<LlmPart, Attempt> {
      if (!yielded) return failed(error);
      yield { type: "error", error };
      return DONE;
    };
    try {
      for (;;) {
        signal.throwIfAborted();
        watchdog.arm("nothing", this.#options.idleTimeoutMs, "idleTimeoutMs");
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (error) {
          this.#rethrowIfStopped(signal);
          const broke = `${where} closed the connection mid-reply (${causeText(error)}).`;
          return yield* stop(watchdog.fired ?? streamError(broke, "llm_stream_interrupted", error));
        } finally {
          watchdog.clear();
        }
        bodyDone = read.done;
        const text = read.done ? decoder.decode() : decoder.decode(read.value, { stream: true });
        const events = read.done ? [...sse.push(text), ...sse.end()] : sse.push(text);
        for (const event of events) {
          let chunk: GenerateContentResponse;
          try {
            chunk = JSON.parse(event.data) as GenerateContentResponse;
          } catch (error) {
            const bad = `${where} sent an event that is not JSON: ${event.data.slice(0, 200)}`;
            return yield* stop(streamError(bad, "llm_bad_response", error));
          }
          if (chunk === null || typeof chunk !== "object") {
            const bad = `${where} sent an event that is not a response object: ${event.data.slice(0, 200)}`;
            return yield* stop(streamError(bad, "llm_bad_response"));
          }
          if (chunk.error !== undefined && chunk.error !== null) {
            return yield* stop(streamBodyError(chunk.error, where));
          }
          for (const part of assembler.push(chunk)) {
            yielded = true;
            yield part;
            signal.throwIfAborted();
          }
        }
        if (read.done) {
          if (!assembler.finished) {
            const early = `${where} ended the stream before the reply was complete.`;
            return yield* stop(streamError(early, "llm_stream_interrupted"));
          }
          if (assembler.blockReason !== undefined) {
            this.#logger?.warn(
              { reason: assembler.blockReason },
              "Gemini refused the prompt (promptFeedback.blockReason)",
            );
          }
          for (const part of assembler.end(inputChars)) yield part;
          return DONE;
        }
      }
    } finally {
      if (!bodyDone) {
        // Abandoned mid-body (abort, error, or the caller stopped iterating): drop the request.
        controller.abort();
        reader.cancel().catch(() => {
          // Cancelling a body that already failed rejects again; there is nothing left to release.
        });
      }
    }
  }

  /** The caller's abort wins (its AbortError); then our own close(). */
  #rethrowIfStopped(signal: AbortSignal): void {
    signal.throwIfAborted();
    if (this.#closed) throw new ClosedError("gemini.LLM");
  }
}
