// What the agent does with a call's video: it runs the processors (frames at the rate each asks,
// or one fresh frame when someone starts speaking), asks them what they saw when a turn ends, and
// attaches the speaker's latest frame to the LLM request. Nothing is decoded while nobody needs a
// frame: with no processor and no LLM frames, a camera costs the agent nothing.
import type {
  ChatImage,
  ChatMessage,
  EdgeConnection,
  Processor,
  ProcessorContext,
  VideoFrame,
  VideoState,
  VideoSubscription,
} from "@callwright/spec";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import { encodeJpeg } from "./jpeg.js";
import { estimatedImageTokens, type VisionOptions } from "./options.js";
import { scaleFrame } from "./scale.js";

export interface VisionSessionDeps {
  connection: EdgeConnection;
  processors: readonly Processor[];
  options: VisionOptions;
  metrics: MetricsCollector;
  logger: Logger;
}

interface Latest {
  frame: VideoFrame;
  /** The frame as the LLM gets it, once encoded. */
  image: ChatImage | undefined;
}

/** Runs one processor's frames one at a time; a newer frame replaces one still waiting. */
class FrameRunner {
  #running = false;
  #waiting: { frame: VideoFrame; participantId: string } | undefined;
  constructor(
    readonly processor: Processor,
    readonly onError: (error: unknown) => void,
  ) {}

  push(frame: VideoFrame, participantId: string): Promise<void> {
    const widthPx = this.processor.video?.widthPx;
    const scaled = widthPx === undefined ? frame : scaleFrame(frame, widthPx);
    if (this.#running) {
      this.#waiting = { frame: scaled, participantId };
      return Promise.resolve();
    }
    return this.#run(scaled, participantId);
  }

  async #run(frame: VideoFrame, participantId: string): Promise<void> {
    this.#running = true;
    try {
      let next: { frame: VideoFrame; participantId: string } | undefined = { frame, participantId };
      while (next !== undefined) {
        this.#waiting = undefined;
        try {
          await this.processor.processFrame?.(next.frame, next.participantId);
        } catch (error) {
          this.onError(error);
        }
        next = this.#waiting;
      }
    } finally {
      this.#running = false;
    }
  }
}

export class VisionSession {
  readonly #deps: VisionSessionDeps;
  readonly #abort = new AbortController();
  readonly #runners: FrameRunner[];
  /** Continuous subscriptions per participant (one per processor that wants frames all along). */
  readonly #continuous = new Map<string, VideoSubscription[]>();
  /** A fresh frame being fetched, per participant. */
  readonly #fetching = new Map<string, { subscription: VideoSubscription; timer: NodeJS.Timeout }>();
  readonly #latest = new Map<string, Latest>();
  /** Where `streamImages` sends stills, and their subscriptions per participant. */
  #imageSink: { fps: number; send: (image: ChatImage, participantId: string) => void } | undefined;
  readonly #streaming = new Map<string, VideoSubscription>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #pending = new Set<Promise<void>>();
  #closed = false;

  constructor(deps: VisionSessionDeps) {
    this.#deps = deps;
    const { connection, processors, logger } = deps;
    this.#runners = processors
      .filter((p) => p.processFrame !== undefined)
      .map(
        (p) =>
          new FrameRunner(p, (error) =>
            logger.warn({ err: error, processor: p.name }, "a processor failed on a frame; it goes on"),
          ),
      );
    const publishVideo = connection.publishVideo?.bind(connection);
    for (const processor of processors) {
      const context: ProcessorContext = {
        signal: this.#abort.signal,
        logger: logger.child({ processor: processor.name }),
        publishVideo,
        recordInference: (inference) => {
          deps.metrics.add("vlm_inferences__total");
          deps.metrics.observe("vlm_inference_latency_ms__avg", inference.latencyMs);
          if (inference.inputTokens !== undefined)
            deps.metrics.add("vlm_input_tokens__total", inference.inputTokens);
          if (inference.outputTokens !== undefined)
            deps.metrics.add("vlm_output_tokens__total", inference.outputTokens);
        },
      };
      try {
        processor.start?.(context);
      } catch (error) {
        logger.warn({ err: error, processor: processor.name }, "a processor failed to start");
      }
    }
    this.#unsubscribe.push(
      connection.on("video_state", (participantId, state) => this.#videoState(participantId, state)),
      connection.on("participant_left", (participant) => this.#forget(participant.id)),
    );
    if (processors.some((p) => p.processAudio !== undefined)) {
      this.#unsubscribe.push(
        connection.on("audio", (participantId, frame) => {
          for (const p of processors) {
            try {
              p.processAudio?.(frame, participantId);
            } catch (error) {
              logger.warn({ err: error, processor: p.name }, "a processor failed on audio");
            }
          }
        }),
      );
    }
    // Participants whose video was on before the agent joined.
    for (const id of connection.participants.keys()) {
      const state = connection.videoState?.(id);
      if (state?.active) this.#videoState(id, state);
    }
  }

  /** Whether anything here needs frames (else the agent never subscribes). */
  get wantsFrames(): boolean {
    return this.#deps.options.llmFrames || this.#runners.length > 0;
  }

  /** A participant started speaking: fetch a fresh frame for their turn (if their video is on). */
  userSpeaking(participantId: string): void {
    if (this.#closed || !this.wantsFrames || this.#fetching.has(participantId)) return;
    const { connection, options } = this.#deps;
    if (connection.subscribeVideo === undefined || connection.videoState?.(participantId).active !== true)
      return;
    const widthPx = Math.max(
      options.llmFrames ? options.llmFrameWidthPx : 0,
      ...this.#runners
        .filter((r) => (r.processor.video?.when ?? "turn") === "turn")
        .map((r) => r.processor.video!.widthPx),
    );
    if (widthPx === 0) return;
    const askedAtMs = performance.now();
    let subscription: VideoSubscription | undefined;
    const done = () => {
      const fetching = this.#fetching.get(participantId);
      if (fetching === undefined) return;
      clearTimeout(fetching.timer);
      this.#fetching.delete(participantId);
      fetching.subscription.close();
    };
    const timer = setTimeout(() => {
      this.#deps.logger.debug({ participant_id: participantId }, "no video frame came for the turn");
      done();
    }, options.frameTimeoutMs);
    try {
      subscription = connection.subscribeVideo(participantId, { fps: 1, widthPx }, (frame) => {
        done();
        const work = this.#turnFrame(participantId, frame, askedAtMs).finally(() =>
          this.#pending.delete(work),
        );
        this.#pending.add(work);
      });
    } catch (error) {
      clearTimeout(timer);
      this.#deps.logger.warn({ err: error }, "could not subscribe to a participant's video");
      return;
    }
    if (this.#closed) {
      clearTimeout(timer);
      subscription.close();
      return;
    }
    // The first frame may have come synchronously (done() found nothing to release then).
    if (!this.#latestSince(participantId, askedAtMs))
      this.#fetching.set(participantId, { subscription, timer });
    else {
      clearTimeout(timer);
      subscription.close();
    }
  }

  /**
   * The LLM request for a turn of `participantId`: what the processors know, as a system note
   * before the user's words, and the speaker's latest frame attached to their last message.
   */
  prepareRequest(messages: ChatMessage[], participantId: string | undefined): ChatMessage[] {
    if (this.#closed) return messages;
    const notes: string[] = [];
    for (const p of this.#deps.processors) {
      try {
        const text = p.describe?.(participantId);
        if (text !== undefined && text.trim().length > 0) notes.push(text.trim());
      } catch (error) {
        this.#deps.logger.warn({ err: error, processor: p.name }, "a processor failed to describe");
      }
    }
    let lastUser = -1;
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.role === "user" && (participantId === undefined || m.participantId === participantId)) {
        lastUser = i;
        break;
      }
    }
    if (lastUser < 0) return messages;
    const out = [...messages];
    const latest = participantId === undefined ? undefined : this.#latest.get(participantId);
    const { options, metrics } = this.#deps;
    if (
      options.llmFrames &&
      latest?.image !== undefined &&
      performance.now() - latest.frame.capturedAtMs <= options.maxFrameAgeMs
    ) {
      const user = out[lastUser] as Extract<ChatMessage, { role: "user" }>;
      out[lastUser] = { ...user, images: [...(user.images ?? []), latest.image] };
      metrics.add("vlm_inferences__total");
      metrics.add(
        "vlm_input_tokens__total",
        estimatedImageTokens(latest.frame.widthPx, latest.frame.heightPx),
      );
      // One picture per turn: the next turn asks for a fresh one.
      this.#latest.delete(participantId!);
    }
    if (notes.length > 0) {
      out.splice(lastUser, 0, { role: "system", content: `What the agent sees now: ${notes.join(" ")}` });
    }
    return out;
  }

  /**
   * Sends `fps` JPEG stills a second of every participant whose camera or screen share is on to
   * `send` (a realtime model that sees), from now until close; a still still being encoded when
   * the next frame comes makes that frame skipped. Does nothing when `llmFrames` is off.
   */
  streamImages(fps: number, send: (image: ChatImage, participantId: string) => void): void {
    if (this.#closed || !this.#deps.options.llmFrames || !(fps > 0)) return;
    this.#imageSink = { fps, send };
    const { connection } = this.#deps;
    for (const id of connection.participants.keys()) {
      if (connection.videoState?.(id).active === true) this.#startImages(id);
    }
  }

  #startImages(participantId: string): void {
    const sink = this.#imageSink;
    const { connection, options, metrics, logger } = this.#deps;
    if (sink === undefined || this.#streaming.has(participantId) || connection.subscribeVideo === undefined)
      return;
    let encoding = false;
    const subscription = connection.subscribeVideo(
      participantId,
      { fps: sink.fps, widthPx: options.llmFrameWidthPx },
      (frame) => {
        if (encoding || this.#closed) return;
        encoding = true;
        metrics.add("video_frames_processed__total");
        const startedAt = performance.now();
        encodeJpeg(scaleFrame(frame, options.llmFrameWidthPx), options.jpegQuality)
          .then((image) => {
            if (this.#closed || !this.#streaming.has(participantId)) return;
            metrics.observe("video_processing_latency_ms__avg", performance.now() - startedAt);
            metrics.add("vlm_inferences__total");
            metrics.add("vlm_input_tokens__total", estimatedImageTokens(frame.widthPx, frame.heightPx));
            sink.send(image, participantId);
          })
          .catch((error: unknown) =>
            logger.warn({ err: error }, "a video frame could not be encoded as JPEG"),
          )
          .finally(() => {
            encoding = false;
          });
      },
    );
    this.#streaming.set(participantId, subscription);
  }

  /** Resolves when the frames fetched so far are processed and encoded. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe.length = 0;
    for (const id of [...this.#continuous.keys(), ...this.#fetching.keys(), ...this.#streaming.keys()])
      this.#forget(id);
    this.#latest.clear();
    for (const p of this.#deps.processors) {
      try {
        p.stop?.();
      } catch (error) {
        this.#deps.logger.warn({ err: error, processor: p.name }, "a processor failed to stop");
      }
    }
  }

  #latestSince(participantId: string, atMs: number): boolean {
    const latest = this.#latest.get(participantId);
    return latest !== undefined && latest.frame.capturedAtMs >= atMs - 1;
  }

  async #turnFrame(participantId: string, frame: VideoFrame, askedAtMs: number): Promise<void> {
    if (this.#closed) return;
    const { options, metrics, logger } = this.#deps;
    metrics.add("video_frames_processed__total");
    const latest: Latest = { frame, image: undefined };
    this.#latest.set(participantId, latest);
    const work: Promise<void>[] = this.#runners
      .filter((r) => (r.processor.video?.when ?? "turn") === "turn")
      .map((r) => r.push(frame, participantId));
    if (options.llmFrames) {
      work.push(
        encodeJpeg(scaleFrame(frame, options.llmFrameWidthPx), options.jpegQuality).then(
          (image) => {
            latest.image = image;
          },
          (error) => logger.warn({ err: error }, "a video frame could not be encoded as JPEG"),
        ),
      );
    }
    await Promise.all(work);
    if (!this.#closed) metrics.observe("video_processing_latency_ms__avg", performance.now() - askedAtMs);
  }

  #videoState(participantId: string, state: VideoState): void {
    if (this.#closed) return;
    for (const p of this.#deps.processors) {
      try {
        p.videoState?.(participantId, state);
      } catch (error) {
        this.#deps.logger.warn({ err: error, processor: p.name }, "a processor failed on a video state");
      }
    }
    const continuous = this.#runners.filter((r) => r.processor.video?.when === "continuous");
    const { connection, metrics } = this.#deps;
    if (!state.active) {
      this.#forget(participantId);
      return;
    }
    this.#startImages(participantId);
    if (
      continuous.length === 0 ||
      this.#continuous.has(participantId) ||
      connection.subscribeVideo === undefined
    )
      return;
    const subscriptions = continuous.map((runner) =>
      connection.subscribeVideo!(
        participantId,
        { fps: runner.processor.video!.fps, widthPx: runner.processor.video!.widthPx },
        (frame) => {
          metrics.add("video_frames_processed__total");
          const startedAt = performance.now();
          void runner.push(frame, participantId).then(() => {
            metrics.observe("video_processing_latency_ms__avg", performance.now() - startedAt);
          });
        },
      ),
    );
    this.#continuous.set(participantId, subscriptions);
  }

  #forget(participantId: string): void {
    this.#streaming.get(participantId)?.close();
    this.#streaming.delete(participantId);
    for (const s of this.#continuous.get(participantId) ?? []) s.close();
    this.#continuous.delete(participantId);
    const fetching = this.#fetching.get(participantId);
    if (fetching !== undefined) {
      clearTimeout(fetching.timer);
      fetching.subscription.close();
      this.#fetching.delete(participantId);
    }
  }
}
