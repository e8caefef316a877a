// Video: decoded pictures an edge hands to whoever asks for them (at the rate and size asked,
// decoded only while someone asks), a video track the agent may publish, and the processors an
// agent runs on what it sees.
import type { AudioFrame } from "./audio.js";
import type { Logger, WarmupOptions } from "./log.js";

/**
 * One decoded picture: 8-bit RGB, rows packed top to bottom (3 bytes a pixel, no padding), so
 * `data.length === widthPx * heightPx * 3`. Frames are values: a consumer must not write into
 * one it did not create.
 */
export interface VideoFrame {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly format: "rgb24";
  readonly data: Uint8Array;
  /** When the edge received the picture, in ms on the process's monotonic clock (performance.now()). */
  readonly capturedAtMs: number;
}

/** Builds a VideoFrame, checking that the sizes add up. */
export function videoFrame(
  data: Uint8Array,
  widthPx: number,
  heightPx: number,
  capturedAtMs: number = performance.now(),
): VideoFrame {
  if (!Number.isInteger(widthPx) || widthPx <= 0 || !Number.isInteger(heightPx) || heightPx <= 0) {
    throw new RangeError(`a video frame needs a positive integer size, got ${widthPx}x${heightPx}`);
  }
  if (data.length !== widthPx * heightPx * 3) {
    throw new RangeError(
      `an rgb24 frame of ${widthPx}x${heightPx} has ${widthPx * heightPx * 3} bytes, got ${data.length}`,
    );
  }
  return { widthPx, heightPx, format: "rgb24", data, capturedAtMs };
}

/** Where a participant's video comes from, as far as the edge knows. */
export type VideoSource = "camera" | "screen" | "unknown";

/** What a consumer asks of one participant's video. */
export interface VideoSubscribeOptions {
  /** At most this many frames a second (e.g. 1). Above ~2 fps the edge decodes every frame. */
  fps: number;
  /** Frames are scaled to this width, aspect kept, never enlarged. Default: as sent. */
  widthPx?: number;
}

/** A consumer's hold on one participant's video: frames flow until `close()`. */
export interface VideoSubscription {
  close(): void;
}

/** A video track the agent publishes into the call (annotated frames, an avatar). */
export interface VideoPublication {
  readonly widthPx: number;
  readonly heightPx: number;
  /** Encodes and sends one picture now; one of another size is scaled. Dropped while the encoder is busy. */
  sendFrame(frame: VideoFrame): void;
  /** Stops the track. Idempotent. */
  close(): void;
}

export interface VideoPublishOptions {
  widthPx: number;
  heightPx: number;
  /** The rate the agent means to send at (for the encoder's rate control). */
  fps: number;
}

/** Whether one participant sends video, and from where. */
export type VideoState = { active: false } | { active: true; source: VideoSource };

// ---- processors ----

/** Which frames a processor wants. */
export interface ProcessorVideoOptions {
  /** At most this many frames a second per participant (continuous), e.g. 1. */
  fps: number;
  /** Width the frames are scaled to (aspect kept). */
  widthPx: number;
  /**
   * `"turn"` (default): one fresh frame when a participant starts speaking, so the processor
   * runs only when someone may ask about what it sees; `"continuous"`: `fps` frames a second
   * for as long as the participant's video is on (the edge decodes all that time).
   */
  when?: "turn" | "continuous";
}

/** A model run a processor reports, for the session's `vlm_*` metrics. */
export interface ProcessorInference {
  latencyMs: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** What a processor may use while the agent is in a call. */
export interface ProcessorContext {
  /** Aborted when the agent leaves the call. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * Publishes a video track of the processor's own (e.g. annotated frames); undefined when the
   * edge cannot publish video. Publish one track per processor.
   */
  readonly publishVideo: ((options: VideoPublishOptions) => VideoPublication) | undefined;
  /** Counts one model run in the session's metrics (`vlm_inferences__total`, latency, tokens). */
  recordInference(inference: ProcessorInference): void;
}

/**
 * Something the agent runs on what it sees (and hears) in a call, as in Vision Agents: a
 * detector, a tracker, a scene describer. It gets frames at the rate it asks for, may get the
 * audio, tells the LLM what it saw through `describe()` (asked when a user's turn ends), and may
 * publish video. Every method is optional but `name`.
 */
export interface Processor {
  readonly name: string;
  /** The frames it wants; omit for none. */
  readonly video?: ProcessorVideoOptions;
  warmup?(options: WarmupOptions): Promise<void>;
  /** The agent joined a call. */
  start?(context: ProcessorContext): void;
  /**
   * One frame of one participant. May be async: while it runs, newer frames of that participant
   * replace each other and the latest is handed over next (a slow processor never queues up).
   */
  processFrame?(frame: VideoFrame, participantId: string): void | Promise<void>;
  /** A participant's video went on or off. */
  videoState?(participantId: string, state: VideoState): void;
  /** Audio of one participant, as the edge decodes it. Must not block. */
  processAudio?(frame: AudioFrame, participantId: string): void;
  /**
   * What it knows now, in plain sentences for the LLM (e.g. "2 faces; the person in front wears
   * red"), or undefined for nothing to add. `participantId` is whose turn it is.
   */
  describe?(participantId: string | undefined): string | undefined;
  /** The agent left the call: drop per-call state. */
  stop?(): void;
  close?(): Promise<void>;
}
