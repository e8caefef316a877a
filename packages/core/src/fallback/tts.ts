// FallbackTTS: an ordered list of speech models. Each sentence (`synthesize`) goes to the first
// healthy one and moves on when it fails or has no audio within `firstOutputTimeoutMs`. When
// every member takes streamed text (`streamText`), so does the fallback: the text pushed so far
// is kept until the first audio, and replayed into the next member if the first one fails.
import { abortable, type Clock, systemClock, TypedEmitter } from "@callwright/provider-utils";
import {
  type AudioFrame,
  ClosedError,
  type Logger,
  type ProviderError,
  type TtsModel,
  type TtsStreamOptions,
  type TtsStreamPart,
  type TtsSynthesizeOptions,
  type TtsTextStream,
  type WarmupOptions,
} from "@callwright/spec";
import { type FallbackEvents, FallbackHealth, type FallbackServedEvent } from "./health.js";
import { closeMembers, listId, loggerOf, warmMembers } from "./members.js";
import { type FallbackOptions, resolveFallbackOptions } from "./options.js";
import { exhausted, FallbackCall, firstOutputTimeout } from "./serve.js";
import { SERVED_BY, type ServedBy } from "./served-by.js";

export interface FallbackTTSOptions extends FallbackOptions {
  /** How an unhealthy model is probed. Default: `synthesize("OK.")` passes on its first frame. */
  probe: (model: TtsModel, signal: AbortSignal) => Promise<void>;
}

/** The default probe: a two-letter synthesis; its first frame means the model speaks. */
export async function probeTts(model: TtsModel, signal: AbortSignal): Promise<void> {
  for await (const _frame of model.synthesize("OK.", { signal })) return;
  throw new Error("the synthesis ended without audio");
}

/**
 * `new FallbackTTS([elevenlabs, openaiTts, localTts])`. Frames keep their own rate (the voice
 * loop resamples each), so members may speak at different rates; `outputSampleRateHz` is the
 * first member's.
 */
export class FallbackTTS extends TypedEmitter<FallbackEvents> implements TtsModel {
  readonly specificationVersion = "v1";
  readonly provider = "fallback";
  readonly modelId: string;
  readonly outputSampleRateHz: number;
  readonly models: readonly TtsModel[];
  /** Present when every member takes streamed text. */
  readonly streamText?: (options: TtsStreamOptions) => TtsTextStream;
  readonly #options: FallbackTTSOptions;
  readonly #health: FallbackHealth;
  #warmupLogger: Logger | undefined;
  #closed = false;

  constructor(models: readonly TtsModel[], options: Partial<FallbackTTSOptions> = {}) {
    super();
    const resolved = resolveFallbackOptions("FallbackTTS", options, models);
    this.#options = { probe: probeTts, ...resolved, ...(options.probe ? { probe: options.probe } : {}) };
    this.models = [...models];
    this.modelId = listId(models);
    this.outputSampleRateHz = models[0]!.outputSampleRateHz;
    this.#health = new FallbackHealth({
      kind: "tts",
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
    if (models.every((m) => typeof m.streamText === "function")) {
      this.streamText = (streamOptions) => {
        if (this.#closed) throw new ClosedError("FallbackTTS");
        return new FallbackTextStream({
          members: this.models,
          health: this.#health,
          signal: streamOptions.signal,
          firstOutputTimeoutMs: this.#options.firstOutputTimeoutMs,
          clock: this.#options.clock ?? systemClock,
        });
      };
    }
  }

  isHealthy(index: number): boolean {
    return this.#health.isHealthy(index);
  }

  async warmup(options: WarmupOptions = {}): Promise<void> {
    this.#warmupLogger = options.logger;
    await warmMembers("tts", this.models, this.#health, options);
  }

  synthesize(text: string, options: TtsSynthesizeOptions): AsyncIterable<AudioFrame> {
    if (this.#closed) throw new ClosedError("FallbackTTS");
    return new FallbackCall<AudioFrame>({
      kind: "tts",
      members: this.models,
      health: this.#health,
      signal: options.signal,
      firstOutputTimeoutMs: this.#options.firstOutputTimeoutMs,
      clock: this.#options.clock,
      open: (index, signal) => this.models[index]!.synthesize(text, { signal }),
      failureOf: () => undefined,
      // No audio for text with nothing to say (punctuation) is an answer, not a failure.
      emptyIsAnswer: true,
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.close();
    await closeMembers(this.models, loggerOf(this.#options.logger, this.#warmupLogger));
  }

  get probing(): boolean {
    return this.#health.active;
  }
}

interface TextStreamOptions {
  members: readonly TtsModel[];
  health: FallbackHealth;
  signal: AbortSignal;
  firstOutputTimeoutMs: number;
  clock: Clock;
}

type Op = { kind: "push"; text: string } | { kind: "flush" };

interface Attempt {
  index: number;
  stream: TtsTextStream;
  controller: AbortController;
  timer: unknown;
  timedOut: ProviderError | undefined;
}

/**
 * One reply through the list: text goes to the current member as it comes, and is also kept
 * until that member's first audio, so the next member can be given all of it if this one fails.
 */
class FallbackTextStream implements TtsTextStream {
  readonly #o: TextStreamOptions;
  readonly #ops: Op[] = [];
  readonly #order: number[];
  readonly #generator: AsyncGenerator<TtsStreamPart>;
  #attempt: Attempt | undefined;
  #committed = false;
  #ended = false;
  #servedBy: ServedBy | undefined;

  constructor(options: TextStreamOptions) {
    this.#o = options;
    this.#order = options.health.order();
    this.#open(this.#order[0]!);
    this.#generator = this.#run();
  }

  get [SERVED_BY](): ServedBy | undefined {
    return this.#servedBy;
  }

  push(text: string): void {
    if (text.length === 0 || this.#ended) return;
    if (!this.#committed) this.#ops.push({ kind: "push", text });
    this.#forward((s) => s.push(text));
    if (!this.#committed) this.#armTimer();
  }

  flush(): void {
    if (this.#ended) return;
    if (!this.#committed) this.#ops.push({ kind: "flush" });
    this.#forward((s) => s.flush());
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#forward((s) => s.end());
  }

  [Symbol.asyncIterator](): AsyncGenerator<TtsStreamPart> {
    return this.#generator;
  }

  #open(index: number): void {
    const controller = new AbortController();
    const stream = this.#o.members[index]!.streamText!({ signal: controller.signal });
    this.#attempt = { index, stream, controller, timer: undefined, timedOut: undefined };
    for (const op of this.#ops) this.#forward((s) => (op.kind === "push" ? s.push(op.text) : s.flush()));
    if (this.#ended) this.#forward((s) => s.end());
    if (this.#ops.some((op) => op.kind === "push")) this.#armTimer();
  }

  /** The first-audio clock starts when the member has text to speak. */
  #armTimer(): void {
    const attempt = this.#attempt;
    if (attempt === undefined || attempt.timer !== undefined) return;
    const member = this.#o.members[attempt.index]!;
    attempt.timer = this.#o.clock.setTimeout(() => {
      attempt.timedOut = firstOutputTimeout(member, this.#o.firstOutputTimeoutMs, "first audio");
      attempt.controller.abort(attempt.timedOut);
    }, this.#o.firstOutputTimeoutMs);
  }

  #forward(action: (stream: TtsTextStream) => void): void {
    const attempt = this.#attempt;
    if (attempt === undefined || attempt.controller.signal.aborted) return;
    try {
      action(attempt.stream);
    } catch {
      // A member that refuses text has failed; its iterator reports it and the next one gets the text.
    }
  }

  #release(attempt: Attempt): void {
    if (attempt.timer !== undefined) this.#o.clock.clearTimeout(attempt.timer);
    attempt.timer = undefined;
    if (!attempt.controller.signal.aborted) attempt.controller.abort();
  }

  async *#run(): AsyncGenerator<TtsStreamPart> {
    const { signal, health, members } = this.#o;
    const failures: FallbackServedEvent["skipped"] = [];
    const follow = () => this.#attempt?.controller.abort(signal.reason);
    signal.addEventListener("abort", follow, { once: true });
    try {
      for (let i = 0; i < this.#order.length; i++) {
        if (i > 0) this.#open(this.#order[i]!);
        const attempt = this.#attempt!;
        const member = members[attempt.index]!;
        let failure: Error | undefined;
        // Timings and flush marks before the first audio are held: they belong to this member's
        // audio, and are dropped with it if it fails before speaking.
        const held: TtsStreamPart[] = [];
        try {
          for await (const part of abortable(attempt.stream, attempt.controller.signal)) {
            if (part.type === "error") {
              if (this.#committed) {
                health.markUnhealthy(attempt.index, part.error);
                yield part;
                return;
              }
              failure = part.error;
              break;
            }
            if (!this.#committed && part.type !== "audio") {
              held.push(part);
              continue;
            }
            if (!this.#committed) {
              this.#committed = true;
              this.#ops.length = 0;
              if (attempt.timer !== undefined) this.#o.clock.clearTimeout(attempt.timer);
              attempt.timer = undefined;
              this.#servedBy = { provider: member.provider, modelId: member.modelId, index: attempt.index };
              health.markHealthy(attempt.index, "call");
              health.served(attempt.index, failures);
              yield* held.splice(0);
            }
            yield part;
          }
          if (failure === undefined) {
            yield* held.splice(0); // finished without audio (nothing to say): its marks stand
            return;
          }
        } catch (error) {
          if (signal.aborted) throw error;
          failure = attempt.timedOut ?? (error instanceof Error ? error : new Error(String(error)));
          if (this.#committed) {
            health.markUnhealthy(attempt.index, failure);
            yield { type: "error", error: failure };
            return;
          }
        } finally {
          this.#release(attempt);
        }
        failures.push({ ...member, index: attempt.index, error: failure });
        health.markUnhealthy(attempt.index, failure);
      }
      signal.throwIfAborted();
      yield { type: "error", error: exhausted("tts", failures) };
    } finally {
      signal.removeEventListener("abort", follow);
      if (this.#attempt !== undefined) this.#release(this.#attempt);
    }
  }
}
