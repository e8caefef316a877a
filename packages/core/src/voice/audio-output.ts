import { type Clock, Timer } from "@callwright/provider-utils";
import type { AudioFrame } from "@callwright/spec";
import { frameDurationMs } from "@callwright/spec";

/** Who queued audio: told as each of its frames goes out, and when its audio has played. */
export interface PlaybackOwner {
  onFrameSent(tag: number, frame: AudioFrame, atMs: number): void;
  /** Every frame before the end mark has been sent and has had time to play. */
  onPlayoutDone(atMs: number): void;
}

/** Where paced audio goes: the edge connection. */
export interface AudioSink {
  sendAudio(frame: AudioFrame): void;
  clearAudio(): void;
}

export interface AudioOutputOptions {
  /**
   * When the event loop was blocked this long past a frame's due time, the schedule restarts
   * from now instead of bursting the backlog out. Default 100.
   */
  maxLateMs: number;
}

export const defaultAudioOutputOptions = { maxLateMs: 100 } as const satisfies AudioOutputOptions;

type Item =
  | { kind: "frame"; frame: AudioFrame; owner: PlaybackOwner; tag: number; durationMs: number }
  | { kind: "end"; owner: PlaybackOwner };

/** Timers fire on whole milliseconds; a frame this close to its due time goes now. */
const DUE_SLACK_MS = 1;

/**
 * Paces agent audio to the edge in real time, one frame at a time (the frames are 20 ms).
 *
 * - The first frame after silence goes to the edge at once, synchronously, inside `enqueue`.
 * - Frame n after that is due at t0 + (sum of the durations before it), computed from the
 *   anchor t0, never by adding delays to "now", so timer lateness does not accumulate (no drift).
 * - When the queue runs dry (TTS slower than real time), the schedule resumes where it was, or
 *   from now if that moment has passed.
 * - `clear()` drops everything queued and tells the edge to drop what it holds: nothing more is
 *   sent, so audio stops within one frame.
 */
export class AudioOutput {
  readonly #sink: AudioSink;
  readonly #clock: Clock;
  readonly #options: AudioOutputOptions;
  readonly #timer: Timer;
  #queue: Item[] = [];
  #head = 0;
  /** Clock time the next frame is due; undefined when nothing has played recently. */
  #nextDueAtMs: number | undefined;
  #pumping = false;
  #closed = false;

  constructor(sink: AudioSink, clock: Clock, options: Partial<AudioOutputOptions> = {}) {
    this.#sink = sink;
    this.#clock = clock;
    this.#options = { ...defaultAudioOutputOptions, ...options };
    this.#timer = new Timer(clock);
  }

  /** Milliseconds of audio queued and not yet sent. */
  get queuedMs(): number {
    let ms = 0;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const item = this.#queue[i]!;
      if (item.kind === "frame") ms += item.durationMs;
    }
    return ms;
  }

  enqueue(frame: AudioFrame, owner: PlaybackOwner, tag: number): void {
    if (this.#closed) return;
    this.#queue.push({ kind: "frame", frame, owner, tag, durationMs: frameDurationMs(frame) });
    this.#kick();
  }

  /** Marks the end of `owner`'s audio: `onPlayoutDone` follows its last frame's playout. */
  enqueueEnd(owner: PlaybackOwner): void {
    if (this.#closed) return;
    this.#queue.push({ kind: "end", owner });
    this.#kick();
  }

  /** Drops every queued frame and end mark, and tells the sink to drop what it holds. */
  clear(): void {
    this.#timer.clear();
    this.#queue = [];
    this.#head = 0;
    this.#nextDueAtMs = undefined;
    if (!this.#closed) this.#sink.clearAudio();
  }

  close(): void {
    if (this.#closed) return;
    this.#timer.clear();
    this.#queue = [];
    this.#head = 0;
    this.#closed = true;
  }

  #kick(): void {
    if (this.#timer.pending || this.#pumping) return;
    // Idle: the queue ran dry. If the next frame's slot has passed (an underrun), restart the
    // schedule from now rather than bursting to catch up.
    if (this.#nextDueAtMs !== undefined && this.#nextDueAtMs < this.#clock.now())
      this.#nextDueAtMs = undefined;
    this.#pump();
  }

  #pump(): void {
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#closed) return;
        const item = this.#queue[this.#head];
        if (item === undefined) {
          this.#queue = [];
          this.#head = 0;
          return;
        }
        const now = this.#clock.now();
        let due = this.#nextDueAtMs ?? now;
        if (now - due > this.#options.maxLateMs) due = now;
        if (due > now + DUE_SLACK_MS) {
          this.#timer.setAt(due, () => this.#pump());
          return;
        }
        this.#head += 1;
        if (item.kind === "frame") {
          this.#nextDueAtMs = due + item.durationMs;
          this.#sink.sendAudio(item.frame);
          item.owner.onFrameSent(item.tag, item.frame, now);
        } else {
          // Everything before the mark has played: the last frame's due time has come.
          this.#nextDueAtMs = due;
          item.owner.onPlayoutDone(now);
          // Silence follows: the next reply's first frame goes out at once.
          if (this.#head >= this.#queue.length) this.#nextDueAtMs = undefined;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}
