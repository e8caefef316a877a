// FallbackLLM: an ordered list of chat models; each request goes to the first healthy one, and
// moves on to the next when it fails (or says nothing for `firstOutputTimeoutMs`) before its
// first part. A member that failed is skipped until a background probe finds it working.
import { TypedEmitter } from "@callwright/provider-utils";
import {
  ClosedError,
  type LlmModel,
  type LlmPart,
  type LlmRequest,
  type LlmStreamOptions,
  type Logger,
  type WarmupOptions,
} from "@callwright/spec";
import { type FallbackEvents, FallbackHealth } from "./health.js";
import { closeMembers, listId, loggerOf, warmMembers } from "./members.js";
import { type FallbackOptions, resolveFallbackOptions } from "./options.js";
import { FallbackCall } from "./serve.js";

export interface FallbackLLMOptions extends FallbackOptions {
  /**
   * How an unhealthy model is probed: resolves when it works. Default: a tiny real request
   * ("Say OK.", at most 16 output tokens) that passes on its first part that is not an error.
   */
  probe: (model: LlmModel, signal: AbortSignal) => Promise<void>;
}

/** The default probe: one short request; its first non-error part means the model answers. */
export async function probeLlm(model: LlmModel, signal: AbortSignal): Promise<void> {
  const request: LlmRequest = { messages: [{ role: "user", content: "Say OK." }], maxOutputTokens: 16 };
  for await (const part of model.stream(request, { signal })) {
    if (part.type === "error") throw part.error;
    return;
  }
  throw new Error("the stream ended without a part");
}

/**
 * `new FallbackLLM([gemini, openai, offline])`: Gemini first; an OpenAI-compatible server when
 * Gemini fails before its first token; the offline responder when both do. `on("served" |
 * "unhealthy" | "healthy")` reports what happens; per-request metrics name the model that served.
 */
export class FallbackLLM extends TypedEmitter<FallbackEvents> implements LlmModel {
  readonly specificationVersion = "v1";
  readonly provider = "fallback";
  readonly modelId: string;
  readonly models: readonly LlmModel[];
  readonly #options: FallbackLLMOptions;
  readonly #health: FallbackHealth;
  #warmupLogger: Logger | undefined;
  #closed = false;

  constructor(models: readonly LlmModel[], options: Partial<FallbackLLMOptions> = {}) {
    super();
    const resolved = resolveFallbackOptions("FallbackLLM", options, models);
    this.#options = { probe: probeLlm, ...resolved, ...(options.probe ? { probe: options.probe } : {}) };
    this.models = [...models];
    this.modelId = listId(models);
    this.#health = new FallbackHealth({
      kind: "llm",
      members: this.models,
      probeIntervalMs: this.#options.probeIntervalMs,
      probeTimeoutMs: this.#options.probeTimeoutMs,
      probe: (index, signal) => this.#options.probe(this.models[index]!, signal),
      logger: () => loggerOf(this.#options.logger, this.#warmupLogger),
      ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
    });
    this.#health.on("served", (e) => this.emit("served", e));
    this.#health.on("unhealthy", (e) => this.emit("unhealthy", e));
    this.#health.on("healthy", (e) => this.emit("healthy", e));
  }

  /** Whether member `index` is being used (true) or skipped until a probe passes (false). */
  isHealthy(index: number): boolean {
    return this.#health.isHealthy(index);
  }

  /** Warms every model; one that fails is marked unhealthy. Fails when all fail, or on a configuration error. */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    this.#warmupLogger = options.logger;
    await warmMembers("llm", this.models, this.#health, options);
  }

  stream(request: LlmRequest, options: LlmStreamOptions): AsyncIterable<LlmPart> {
    if (this.#closed) throw new ClosedError("FallbackLLM");
    return new FallbackCall<LlmPart>({
      kind: "llm",
      members: this.models,
      health: this.#health,
      signal: options.signal,
      firstOutputTimeoutMs: this.#options.firstOutputTimeoutMs,
      clock: this.#options.clock,
      open: (index, signal) => this.models[index]!.stream(request, { signal }),
      failureOf: (part) => (part.type === "error" ? part.error : undefined),
      emptyIsAnswer: false,
      exhaustedItem: (error) => ({ type: "error", error }),
    });
  }

  /** Stops the probes and closes every model. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.close();
    await closeMembers(this.models, loggerOf(this.#options.logger, this.#warmupLogger));
  }

  /** True while a probe is scheduled or running (false after `close()`). */
  get probing(): boolean {
    return this.#health.active;
  }
}
