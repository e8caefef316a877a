// The OpenAI-compatible chat model: streams `POST {baseUrl}/chat/completions` with Node's fetch,
// retries what is worth retrying before the first part, times out stalled servers, and drops
// the HTTP request the moment the caller's AbortSignal fires (barge-in).
import {
  causeText,
  decideRetry,
  gaveUp,
  retryAfterFromHeaders,
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
import { ChunkAssembler, type WireChunk } from "./chunks.js";
import { connectionError, httpError, streamError } from "./errors.js";
import { isOpenAI, type LLMOptions, type LLMSettings, resolveOptions } from "./options.js";
import { chatCompletionsBody } from "./request.js";

type Attempt = { kind: "done" } | { kind: "failed"; error: ProviderError };

const DONE: Attempt = { kind: "done" };

function failed(error: ProviderError): Attempt {
  return { kind: "failed", error };
}

/**
 * `new openai.LLM({ model: "gpt-4o-mini" })`, or with no options: model, key and server from
 * OPENAI_MODEL, OPENAI_API_KEY and OPENAI_BASE_URL. Works with OpenAI and with any server that
 * speaks its chat completions API (Ollama, llama.cpp's llama-server, vLLM, LM Studio).
 *
 * Failures arrive as an `error` part (a ProviderError with a stable `code`), after which the
 * stream ends; aborting the signal makes the iterator throw the signal's AbortError at once.
 */
export class LLM implements LlmModel {
  readonly specificationVersion = "v1";
  readonly provider = "openai";
  readonly modelId: string;
  /** The server, without a trailing slash (the key is never exposed). */
  readonly baseUrl: string;
  readonly #options: LLMOptions;
  readonly #where: string;
  readonly #inFlight = new Set<AbortController>();
  #logger: Logger | undefined;
  #closed = false;

  constructor(settings: LLMSettings = {}, env: NodeJS.ProcessEnv = process.env) {
    this.#options = resolveOptions(settings, env);
    this.modelId = this.#options.model;
    this.baseUrl = this.#options.baseUrl;
    this.#where = isOpenAI(this.baseUrl) ? "OpenAI" : `the OpenAI-compatible server at ${this.baseUrl}`;
  }

  /**
   * Checks the server answers (GET /models) and that the key is accepted, so a missing Ollama or
   * a wrong key shows at start, not at the first question. Servers without /models pass.
   */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    this.#logger = options.logger;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#options.firstByteTimeoutMs);
    const signal =
      options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
    try {
      const response = await fetch(`${this.baseUrl}/models`, { headers: this.#headers(), signal });
      const text = await response.text();
      if (response.status === 401 || response.status === 403) {
        throw httpError(response.status, response.statusText, text, this.#where);
      }
      if (!response.ok) {
        this.#logger?.debug(
          { status: response.status },
          "LLM server has no model list; skipping the model check",
        );
        return;
      }
      const ids = ((JSON.parse(text) as { data?: { id?: unknown }[] }).data ?? []).map((m) => m.id);
      if (ids.length > 0 && !ids.includes(this.modelId)) {
        this.#logger?.warn(
          { model: this.modelId, offered: ids.slice(0, 20) },
          "the LLM server does not list this model; check OPENAI_MODEL (with Ollama, `ollama pull` it first)",
        );
      }
    } catch (error) {
      options.signal?.throwIfAborted();
      if (error instanceof ProviderError) throw error;
      if (controller.signal.aborted) {
        throw timeoutError({
          provider: "openai",
          where: this.#where,
          what: "no answer to GET /models",
          timeoutMs: this.#options.firstByteTimeoutMs,
          option: "firstByteTimeoutMs",
          code: "llm_timeout",
        });
      }
      if (error instanceof SyntaxError) return; // a model list that isn't JSON: nothing to check
      throw connectionError(error, this.#where);
    } finally {
      clearTimeout(timer);
    }
  }

  async *stream(request: LlmRequest, options: LlmStreamOptions): AsyncGenerator<LlmPart> {
    if (this.#closed) throw new ClosedError("openai.LLM");
    const { signal } = options;
    signal.throwIfAborted();
    const body = JSON.stringify(
      chatCompletionsBody(request, {
        model: this.modelId,
        temperature: this.#options.temperature,
        maxOutputTokens: this.#options.maxOutputTokens,
        maxTokensField: isOpenAI(this.baseUrl) ? "max_completion_tokens" : "max_tokens",
      }),
    );
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
      const result = yield* this.#attempt(body, inputChars, signal);
      if (result.kind === "done") return;
      const { error } = result;
      const decision = decideRetry(error, attempt, performance.now() - startedAt, retry);
      if (!decision.retry) {
        yield { type: "error", error: gaveUp(error, attempt + 1, decision.reason) as Error };
        return;
      }
      this.#logger?.debug(
        { code: error.code, status: error.status, delayMs: decision.delayMs, attempt: attempt + 1 },
        "LLM request failed; retrying",
      );
      await sleep(decision.delayMs, signal);
    }
  }

  /** Aborts requests in flight; later `stream` calls throw. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#inFlight) controller.abort(new ClosedError("openai.LLM"));
    this.#inFlight.clear();
  }

  /** One HTTP request. Yields parts; returns whether it failed before yielding any. */
  async *#attempt(body: string, inputChars: number, signal: AbortSignal): AsyncGenerator<LlmPart, Attempt> {
    const controller = new AbortController();
    const watchdog = new Watchdog({
      controller,
      provider: "openai",
      where: this.#where,
      code: "llm_timeout",
    });
    this.#inFlight.add(controller);
    try {
      watchdog.arm("no response headers", this.#options.firstByteTimeoutMs, "firstByteTimeoutMs");
      let response: Response;
      try {
        response = await fetch(`${this.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { ...this.#headers(), "content-type": "application/json", accept: "text/event-stream" },
          body,
          signal: AbortSignal.any([signal, controller.signal]),
        });
      } catch (error) {
        this.#rethrowIfStopped(signal);
        return failed(watchdog.fired ?? connectionError(error, this.#where));
      }
      watchdog.arm("nothing", this.#options.idleTimeoutMs, "idleTimeoutMs");
      if (!response.ok) {
        let text = "";
        try {
          text = await response.text();
        } catch {
          signal.throwIfAborted(); // otherwise the status says enough: a body that broke adds nothing
        }
        const retryAfterMs = retryAfterFromHeaders(response.headers);
        return failed(httpError(response.status, response.statusText, text, this.#where, retryAfterMs));
      }
      if ((response.headers.get("content-type") ?? "").includes("application/json")) {
        return yield* this.#readWhole(response, inputChars, signal, watchdog);
      }
      return yield* this.#readEvents(response, inputChars, signal, controller, watchdog);
    } finally {
      watchdog.clear();
      this.#inFlight.delete(controller);
    }
  }

  /** The streamed body: SSE events of `chat.completion.chunk`s, up to `[DONE]`. */
  async *#readEvents(
    response: Response,
    inputChars: number,
    signal: AbortSignal,
    controller: AbortController,
    watchdog: Watchdog,
  ): AsyncGenerator<LlmPart, Attempt> {
    if (response.body === null)
      return failed(streamError(`${this.#where} sent an empty body.`, "llm_bad_response"));
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const sse = new SseDecoder();
    const assembler = new ChunkAssembler();
    let yielded = false;
    let bodyDone = false;
    let sawDone = false;
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
          const broke = `${this.#where} closed the connection mid-reply (${causeText(error)}).`;
          return yield* stop(watchdog.fired ?? streamError(broke, "llm_stream_interrupted", error));
        } finally {
          watchdog.clear();
        }
        bodyDone = read.done;
        const text = read.done ? decoder.decode() : decoder.decode(read.value, { stream: true });
        const events = read.done ? [...sse.push(text), ...sse.end()] : sse.push(text);
        for (const event of events) {
          if (event.data.trim() === "[DONE]") {
            sawDone = true;
            for (const part of assembler.end(inputChars)) yield part;
            bodyDone = await drain(reader, DRAIN_TIMEOUT_MS);
            return DONE;
          }
          let chunk: WireChunk;
          try {
            chunk = JSON.parse(event.data) as WireChunk;
          } catch (error) {
            const bad = `${this.#where} sent an event that is not JSON: ${event.data.slice(0, 200)}`;
            return yield* stop(streamError(bad, "llm_bad_response", error));
          }
          if (chunk.error !== undefined && chunk.error !== null) {
            const said = `${this.#where} reported an error mid-stream: ${describe(chunk.error)}`;
            return yield* stop(streamError(said, "llm_stream_error"));
          }
          for (const part of assembler.push(chunk)) {
            yielded = true;
            yield part;
            signal.throwIfAborted();
          }
        }
        if (read.done) {
          // No `[DONE]` but a finished reply: some servers end this way.
          if (!assembler.finished) {
            const early = `${this.#where} ended the stream before the reply was complete.`;
            return yield* stop(streamError(early, "llm_stream_interrupted"));
          }
          for (const part of assembler.end(inputChars)) yield part;
          return DONE;
        }
      }
    } finally {
      if (!bodyDone) {
        // Abandoned mid-body (abort, error, or the caller stopped iterating): drop the request.
        // After `[DONE]` the reply is complete and its connection may serve the next turn.
        if (!sawDone) controller.abort();
        reader.cancel().catch(() => {
          // Cancelling a body that already failed rejects again; there is nothing left to release.
        });
      }
    }
  }

  /** A server that ignored `stream: true` and sent the whole `chat.completion` at once. */
  async *#readWhole(
    response: Response,
    inputChars: number,
    signal: AbortSignal,
    watchdog: Watchdog,
  ): AsyncGenerator<LlmPart, Attempt> {
    let whole: unknown;
    try {
      whole = await response.json();
    } catch (error) {
      this.#rethrowIfStopped(signal);
      const bad = streamError(`${this.#where} sent a body that is not JSON.`, "llm_bad_response", error);
      return failed(watchdog.fired ?? bad);
    }
    const chunk = completionAsChunk(whole);
    if (chunk.error !== undefined) {
      return failed(
        streamError(`${this.#where} sent an error: ${describe(chunk.error)}`, "llm_stream_error"),
      );
    }
    const assembler = new ChunkAssembler();
    for (const part of [...assembler.push(chunk), ...assembler.end(inputChars)]) yield part;
    return DONE;
  }

  /** The caller's abort wins (its AbortError); then our own close(). */
  #rethrowIfStopped(signal: AbortSignal): void {
    signal.throwIfAborted();
    if (this.#closed) throw new ClosedError("openai.LLM");
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.#options.headers };
    if (this.#options.apiKey !== undefined) headers.authorization = `Bearer ${this.#options.apiKey}`;
    if (this.#options.organization !== undefined) headers["openai-organization"] = this.#options.organization;
    return headers;
  }
}

/** How long to wait for the end of a body after `[DONE]`, to keep its connection for the next turn. */
const DRAIN_TIMEOUT_MS = 1_000;

/** Reads what follows `[DONE]` (normally just the end of the body); true when the body ended. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    for (;;) {
      const read = await Promise.race([reader.read(), timedOut]);
      if (read === false) return false;
      if (read.done) return true;
    }
  } catch {
    return false; // the body broke after the reply was complete: nothing is lost
  } finally {
    clearTimeout(timer);
  }
}

/** A non-streamed `chat.completion` read as one chunk. */
function completionAsChunk(value: unknown): WireChunk {
  const completion = value as {
    choices?: {
      index?: number;
      message?: { content?: string | null; tool_calls?: object[] };
      finish_reason?: string;
    }[];
    usage?: WireChunk["usage"];
    error?: unknown;
  };
  return {
    ...(completion.error === undefined ? {} : { error: completion.error }),
    usage: completion.usage ?? null,
    choices: (completion.choices ?? []).map((c) => ({
      index: c.index ?? 0,
      delta: {
        content: c.message?.content ?? null,
        tool_calls: (c.message?.tool_calls ?? []).map((call, index) => ({ index, ...call })),
      },
      finish_reason: c.finish_reason ?? "stop",
    })),
  };
}

function describe(error: unknown): string {
  if (typeof error === "string") return error;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : JSON.stringify(error);
}
