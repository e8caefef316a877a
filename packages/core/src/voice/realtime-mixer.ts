import { type Clock, Resampler } from "@callwright/provider-utils";
import type { AudioFrame } from "@callwright/spec";

export interface RealtimeMixerOptions {
  /** Rate of the mixed stream (the realtime model's input rate). */
  sampleRateHz: number;
  /** Length of each mixed chunk handed on, in ms. */
  chunkMs: number;
  /**
   * With two or more people talking, how far ahead of the slowest one the fastest may get
   * before a chunk is mixed (the rest is silence for a participant who sent nothing), in ms.
   * Only paid while more than one participant is sending.
   */
  holdMs: number;
  /** A participant who sent nothing for this long no longer holds the mix back, in ms. */
  idleAfterMs: number;
}

interface Lane {
  resampler: Resampler;
  /** Resampled samples not mixed yet. */
  pending: Int16Array;
  lastFrameAtMs: number;
}

/**
 * Several participants' microphones as the one stream a realtime model hears. Each participant's
 * audio is resampled to the model's rate into a lane of its own; lanes are summed (clipped to 16
 * bits) chunk by chunk, aligned by arrival. With one participant sending, audio passes through at
 * once; with several, the mix waits until the fastest lane is `holdMs` ahead, so that frames
 * that arrive at the same time are summed rather than played one after the other.
 */
export class RealtimeMixer {
  readonly #options: RealtimeMixerOptions;
  readonly #clock: Clock;
  readonly #emit: (samples: Int16Array) => void;
  readonly #lanes = new Map<string, Lane>();
  readonly #chunkSamples: number;
  readonly #holdSamples: number;

  constructor(options: RealtimeMixerOptions, clock: Clock, emit: (samples: Int16Array) => void) {
    this.#options = options;
    this.#clock = clock;
    this.#emit = emit;
    this.#chunkSamples = Math.max(1, Math.round((options.sampleRateHz * options.chunkMs) / 1000));
    this.#holdSamples = Math.max(0, Math.round((options.sampleRateHz * options.holdMs) / 1000));
  }

  /** Participants with a lane (those who sent audio and have not left). */
  get participants(): number {
    return this.#lanes.size;
  }

  push(participantId: string, frame: AudioFrame): void {
    const now = this.#clock.now();
    let lane = this.#lanes.get(participantId);
    if (lane === undefined || lane.resampler.inputSampleRateHz !== frame.sampleRateHz) {
      lane = {
        resampler: new Resampler({
          inputSampleRateHz: frame.sampleRateHz,
          outputSampleRateHz: this.#options.sampleRateHz,
        }),
        pending: new Int16Array(0),
        lastFrameAtMs: now,
      };
      this.#lanes.set(participantId, lane);
    }
    lane.lastFrameAtMs = now;
    const mono = frame.channels === 1 ? frame.samples : firstChannel(frame);
    const resampled = lane.resampler.process(mono);
    lane.pending = lane.pending.length === 0 ? resampled : concat(lane.pending, resampled);
    this.#drain(now, participantId);
  }

  /** A participant left: what it sent is mixed out, its lane dropped. */
  remove(participantId: string): void {
    const lane = this.#lanes.get(participantId);
    if (lane === undefined) return;
    this.#lanes.delete(participantId);
    if (lane.pending.length > 0 && this.#lanes.size === 0) this.#emit(lane.pending);
  }

  #active(now: number): Lane[] {
    const active: Lane[] = [];
    for (const lane of this.#lanes.values()) {
      if (now - lane.lastFrameAtMs <= this.#options.idleAfterMs || lane.pending.length > 0) active.push(lane);
    }
    return active;
  }

  #drain(now: number, pushedBy: string): void {
    const active = this.#active(now);
    if (active.length <= 1) {
      // One voice: straight through, no waiting.
      const lane = this.#lanes.get(pushedBy)!;
      if (lane.pending.length > 0) {
        const out = lane.pending;
        lane.pending = new Int16Array(0);
        this.#emit(out);
      }
      return;
    }
    const chunk = this.#chunkSamples;
    for (;;) {
      let longest = 0;
      for (const lane of active) longest = Math.max(longest, lane.pending.length);
      if (longest < chunk + this.#holdSamples) return;
      const mixed = new Int16Array(chunk);
      for (const lane of active) {
        const n = Math.min(chunk, lane.pending.length);
        for (let i = 0; i < n; i++) {
          const v = mixed[i]! + lane.pending[i]!;
          mixed[i] = Math.min(32767, Math.max(-32768, v));
        }
        lane.pending = lane.pending.subarray(n);
      }
      this.#emit(mixed);
    }
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function firstChannel(frame: AudioFrame): Int16Array {
  const n = frame.samples.length / frame.channels;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = frame.samples[i * frame.channels]!;
  return out;
}
