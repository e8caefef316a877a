// FallbackSTT: an ordered list of streaming recognisers. A stream uses the first healthy one;
// when it fails mid-session (an error part that ends it, an unexpected end, a throw, or no final
// within `firstOutputTimeoutMs` of a flush), the stream moves to the next member at once and
// gives it the speech not yet answered (every flushed segment without its final, and the segment
// being spoken), so the user's words are not lost; later segments stay on that member until the
// better one is healthy again, and the stream moves back between segments. Finals before a
// segment's end are passed on as interim text (their sum), so a segment replayed into another
// member never yields its words twice; the segment's final carries all of them.
import { AsyncQueue, type Clock, Resampler, systemClock, TypedEmitter } from "@callwright/provider-utils";
import {
  type AudioFrame,
  audioFrame,
  ClosedError,
  frameDurationMs,
  type Logger,
  type SttModel,
  type SttPart,
  type SttStream,
  type SttStreamOptions,
  type WarmupOptions,
} from "@callwright/spec";
import { type FallbackEvents, FallbackHealth, type FallbackServedEvent } from "./health.js";
import { closeMembers, listId, loggerOf, warmMembers } from "./members.js";
import { type FallbackOptions, resolveFallbackOptions } from "./options.js";
import { exhausted, firstOutputTimeout } from "./serve.js";
import { SERVED_BY, type ServedBy } from "./served-by.js";

export interface FallbackSTTOptions extends FallbackOptions {
  /**
   * How an unhealthy model is probed. Default: a stream given 300 ms of silence and a flush
   * passes when its final comes (empty text is fine).
   */
  probe: (model: SttModel, signal: AbortSignal) => Promise<void>;
}

/** Longest speech kept per segment for a replay into the next member, ms (older audio is not replayed). */
export const MAX_REPLAY_MS = 60_000;

/** The default probe: 300 ms of silence and a flush; a final back means the model answers. */
export async function probeStt(model: SttModel, signal: AbortSignal): Promise<void> {
  const stream = model.stream({ signal });
  const samples = new Int16Array(Math.round(model.inputSampleRateHz * 0.3));
  stream.push(audioFrame(samples, model.inputSampleRateHz));
  stream.flush();
  stream.end();
  for await (const part of stream) {
    if (part.type === "error" && !part.recoverable) throw part.error;
    if (part.type === "final" && part.segmentEnd) return;
  }
  throw new Error("the stream ended without a final");
}

/**
 * `new FallbackSTT([deepgram, openaiStt, localStt])`. Audio is pushed at the first member's
 * `inputSampleRateHz` and resampled for a member that takes another rate.
 */
export class FallbackSTT extends TypedEmitter<FallbackEvents> implements SttModel {
  readonly specificationVersion = "v1";
  readonly provider = "fallback";
  readonly modelId: string;
  readonly inputSampleRateHz: number;
  readonly models: readonly SttModel[];
  readonly #options: FallbackSTTOptions;
  readonly #health: FallbackHealth;
  readonly #streams = new Set<FallbackSttStream>();
  #warmupLogger: Logger | undefined;
  #closed = false;

  constructor(models: readonly SttModel[], options: Partial<FallbackSTTOptions> = {}) {
    super();
    const resolved = resolveFallbackOptions("FallbackSTT", options, models);
    this.#options = { probe: probeStt, ...resolved, ...(options.probe ? { probe: options.probe } : {}) };
    this.models = [...models];
    this.modelId = listId(models);
    this.inputSampleRateHz = models[0]!.inputSampleRateHz;
    this.#health = new FallbackHealth({
      kind: "stt",
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

  isHealthy(index: number): boolean {
    return this.#health.isHealthy(index);
  }

  async warmup(options: WarmupOptions = {}): Promise<void> {
    this.#warmupLogger = options.logger;
    await warmMembers("stt", this.models, this.#health, options);
  }

  stream(options: SttStreamOptions): SttStream {
    if (this.#closed) throw new ClosedError("FallbackSTT");
    const stream = new FallbackSttStream({
      members: this.models,
      health: this.#health,
      options,
      inputSampleRateHz: this.inputSampleRateHz,
      segmentTimeoutMs: this.#options.firstOutputTimeoutMs,
      clock: this.#options.clock ?? systemClock,
      onClosed: (s) => this.#streams.delete(s),
    });
    this.#streams.add(stream);
    return stream;
  }

  /** Ends every open stream, stops the probes and closes every model. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#streams) stream.close();
    this.#health.close();
    await closeMembers(this.models, loggerOf(this.#options.logger, this.#warmupLogger));
  }

  get probing(): boolean {
    return this.#health.active;
  }
}

interface StreamDeps {
  members: readonly SttModel[];
  health: FallbackHealth;
  options: SttStreamOptions;
  inputSampleRateHz: number;
  segmentTimeoutMs: number;
  clock: Clock;
  onClosed(stream: FallbackSttStream): void;
}

interface Attempt {
  index: number;
  stream: SttStream;
  controller: AbortController;
  resampler: Resampler | undefined;
}

interface Segment {
  frames: AudioFrame[];
  durationMs: number;
}

/** One participant's recognition through the list (see the file's header for what it does). */
export class FallbackSttStream implements SttStream {
  readonly #d: StreamDeps;
  readonly #parts = new AsyncQueue<SttPart>();
  /** Flushed segments whose final has not come, oldest first. */
  readonly #awaiting: Segment[] = [];
  #open: Segment = { frames: [], durationMs: 0 };
  /** Finals (before the segment's end) of the oldest unanswered segment. */
  #partials: string[] = [];
  #attempt: Attempt | undefined;
  /** Members that failed since the last final, and why (a failover never revisits one). */
  #failures: FallbackServedEvent["skipped"] = [];
  #segmentTimer: unknown;
  #ended = false;
  #closed = false;
  #servedBy: ServedBy | undefined;
  readonly #onAbort = () => this.close();

  constructor(deps: StreamDeps) {
    this.#d = deps;
    if (deps.options.signal.aborted) {
      this.#closed = true;
      this.#parts.end();
      return;
    }
    deps.options.signal.addEventListener("abort", this.#onAbort, { once: true });
    this.#start(deps.health.order()[0]!);
  }

  /** The member that answered the latest segment. */
  get [SERVED_BY](): ServedBy | undefined {
    return this.#servedBy;
  }

  /** The member in use now. */
  get current(): { provider: string; modelId: string; index: number } | undefined {
    const a = this.#attempt;
    if (a === undefined) return undefined;
    const m = this.#d.members[a.index]!;
    return { provider: m.provider, modelId: m.modelId, index: a.index };
  }

  push(frame: AudioFrame): void {
    if (this.#closed || this.#ended) return;
    // Between segments, move back to a better member that is healthy again.
    if (this.#open.frames.length === 0 && this.#awaiting.length === 0) this.#preferBest();
    const ms = frameDurationMs(frame);
    this.#open.frames.push(frame);
    this.#open.durationMs += ms;
    while (this.#open.durationMs > MAX_REPLAY_MS && this.#open.frames.length > 1) {
      this.#open.durationMs -= frameDurationMs(this.#open.frames.shift()!);
    }
    this.#send(frame);
  }

  flush(): void {
    if (this.#closed || this.#ended) return;
    this.#awaiting.push(this.#open);
    this.#open = { frames: [], durationMs: 0 };
    this.#forward((s) => s.flush());
    this.#armSegmentTimer();
  }

  end(): void {
    if (this.#closed || this.#ended) return;
    this.#ended = true;
    this.#forward((s) => s.end());
  }

  [Symbol.asyncIterator](): AsyncIterator<SttPart> {
    return this.#parts[Symbol.asyncIterator]();
  }

  /** Stops at once (the caller's abort, or the fallback's close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#d.options.signal.removeEventListener("abort", this.#onAbort);
    this.#clearSegmentTimer();
    if (this.#attempt !== undefined) this.#release(this.#attempt);
    this.#attempt = undefined;
    this.#parts.end();
    this.#d.onClosed(this);
  }

  #start(index: number): void {
    const member = this.#d.members[index]!;
    const controller = new AbortController();
    let stream: SttStream;
    try {
      stream = member.stream({ ...this.#d.options, signal: controller.signal });
    } catch (error) {
      this.#failed(index, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const rate = member.inputSampleRateHz;
    const attempt: Attempt = {
      index,
      stream,
      controller,
      resampler:
        rate === this.#d.inputSampleRateHz
          ? undefined
          : new Resampler({ inputSampleRateHz: this.#d.inputSampleRateHz, outputSampleRateHz: rate }),
    };
    this.#attempt = attempt;
    this.#partials = [];
    // The new member first hears what the previous one left unanswered.
    for (const segment of this.#awaiting) {
      for (const frame of segment.frames) this.#send(frame);
      this.#forward((s) => s.flush());
    }
    for (const frame of this.#open.frames) this.#send(frame);
    if (this.#ended) this.#forward((s) => s.end());
    this.#armSegmentTimer(true);
    void this.#consume(attempt);
  }

  async #consume(attempt: Attempt): Promise<void> {
    const member = this.#d.members[attempt.index]!;
    let failure: Error | undefined;
    try {
      for await (const part of attempt.stream) {
        if (this.#attempt !== attempt) return;
        switch (part.type) {
          case "interim":
            this.#parts.push({ type: "interim", text: join([...this.#partials, part.text]) });
            break;
          case "final":
            if (!part.segmentEnd) {
              this.#partials.push(part.text);
              this.#parts.push({ type: "interim", text: join(this.#partials) });
              break;
            }
            this.#answered(attempt, member, part);
            break;
          case "error":
            if (part.recoverable) this.#parts.push(part);
            else failure = part.error;
            break;
          default:
            this.#parts.push(part);
        }
        if (failure !== undefined) break;
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (this.#attempt !== attempt || this.#closed) return;
    if (failure === undefined && this.#ended && this.#awaiting.length === 0) {
      this.close(); // the caller's end(), all answered
      return;
    }
    this.#failover(
      attempt,
      failure ?? new Error(`${member.provider}/${member.modelId} ended the stream with speech unanswered`),
    );
  }

  #answered(attempt: Attempt, member: SttModel, part: Extract<SttPart, { type: "final" }>): void {
    const text = join([...this.#partials, part.text]);
    this.#partials = [];
    this.#awaiting.shift();
    this.#servedBy = { provider: member.provider, modelId: member.modelId, index: attempt.index };
    this.#d.health.markHealthy(attempt.index, "call");
    this.#d.health.served(attempt.index, this.#failures);
    this.#failures = [];
    this.#parts.push({
      type: "final",
      text,
      segmentEnd: true,
      ...(part.confidence === undefined ? {} : { confidence: part.confidence }),
    });
    this.#armSegmentTimer(true);
  }

  /** This member failed: mark it, and carry on with the next one that has not failed yet. */
  #failover(attempt: Attempt, error: Error): void {
    this.#release(attempt);
    this.#attempt = undefined;
    this.#failed(attempt.index, error);
  }

  #failed(index: number, error: Error): void {
    const member = this.#d.members[index]!;
    this.#failures.push({ provider: member.provider, modelId: member.modelId, index, error });
    this.#d.health.markUnhealthy(index, error);
    const tried = new Set(this.#failures.map((f) => f.index));
    const next = this.#d.health.order().find((i) => !tried.has(i)) ?? this.#untried(tried);
    if (next === undefined) {
      this.#parts.push({ type: "error", error: exhausted("stt", this.#failures), recoverable: false });
      this.close();
      return;
    }
    this.#start(next);
  }

  /** A member not tried in this failover, healthy or not (all healthy ones failed). */
  #untried(tried: Set<number>): number | undefined {
    const i = this.#d.members.findIndex((_, index) => !tried.has(index));
    return i < 0 ? undefined : i;
  }

  #preferBest(): void {
    const best = this.#d.health.best();
    const attempt = this.#attempt;
    if (best === undefined || attempt === undefined || best >= attempt.index) return;
    this.#release(attempt);
    this.#attempt = undefined;
    this.#start(best);
  }

  #send(frame: AudioFrame): void {
    const attempt = this.#attempt;
    if (attempt === undefined) return;
    const out =
      attempt.resampler === undefined
        ? frame
        : audioFrame(
            attempt.resampler.process(frame.samples),
            this.#d.members[attempt.index]!.inputSampleRateHz,
          );
    if (out.samples.length === 0) return;
    this.#forward((s) => s.push(out));
  }

  #forward(action: (stream: SttStream) => void): void {
    const attempt = this.#attempt;
    if (attempt === undefined || attempt.controller.signal.aborted) return;
    try {
      action(attempt.stream);
    } catch (error) {
      // A member that refuses audio has failed: the next one gets the speech.
      queueMicrotask(() => {
        if (this.#attempt === attempt && !this.#closed) {
          this.#failover(attempt, error instanceof Error ? error : new Error(String(error)));
        }
      });
    }
  }

  /** A final is due within `segmentTimeoutMs` of the oldest unanswered flush. */
  #armSegmentTimer(restart = false): void {
    if (restart) this.#clearSegmentTimer();
    if (this.#segmentTimer !== undefined || this.#awaiting.length === 0 || this.#closed) return;
    const attempt = this.#attempt;
    if (attempt === undefined) return;
    const member = this.#d.members[attempt.index]!;
    this.#segmentTimer = this.#d.clock.setTimeout(() => {
      this.#segmentTimer = undefined;
      if (this.#attempt !== attempt || this.#closed) return;
      this.#failover(attempt, firstOutputTimeout(member, this.#d.segmentTimeoutMs, "final after a flush"));
    }, this.#d.segmentTimeoutMs);
  }

  #clearSegmentTimer(): void {
    if (this.#segmentTimer !== undefined) this.#d.clock.clearTimeout(this.#segmentTimer);
    this.#segmentTimer = undefined;
  }

  #release(attempt: Attempt): void {
    this.#clearSegmentTimer();
    try {
      attempt.stream.end();
    } catch {
      // Ending a broken stream: the abort below releases it either way.
    }
    attempt.controller.abort();
  }
}

function join(texts: readonly string[]): string {
  return texts
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .join(" ");
}
