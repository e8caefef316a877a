// A small receive buffer for one browser's RTP: puts reordered packets back in order, drops
// duplicates and late packets, and declares a missing packet lost once later ones have waited
// long enough (the caller then conceals it with Opus FEC or PLC). It adds no delay while packets
// arrive in order.
import { seqDelta } from "./rtp.js";

export interface JitterBufferOptions {
  /** How long a later packet waits for a missing earlier one before that one counts as lost. */
  maxWaitMs: number;
  /** Most packets held while waiting; beyond this the missing one counts as lost at once. */
  maxPackets: number;
  /** A sequence jump larger than this is a new stream: start over rather than conceal the gap. */
  maxGapPackets: number;
}

export const defaultJitterBufferOptions = {
  maxWaitMs: 40,
  maxPackets: 8,
  maxGapPackets: 25,
} as const satisfies JitterBufferOptions;

export type JitterOutput =
  | { kind: "packet"; sequenceNumber: number; payload: Uint8Array }
  /** One packet is missing for good; `next` is the packet after it when present (for FEC). */
  | { kind: "lost"; sequenceNumber: number; next: Uint8Array | undefined }
  /** The stream started over (a big jump): decoder state should be reset. */
  | { kind: "reset" };

export interface JitterStats {
  received: number;
  lost: number;
  late: number;
  duplicate: number;
  resets: number;
}

export class JitterBuffer {
  readonly options: JitterBufferOptions;
  readonly stats: JitterStats = { received: 0, lost: 0, late: 0, duplicate: 0, resets: 0 };
  #expected: number | undefined;
  readonly #pending = new Map<number, { payload: Uint8Array; arrivedMs: number }>();

  constructor(options: Partial<JitterBufferOptions> = {}) {
    this.options = { ...defaultJitterBufferOptions, ...options };
  }

  /** Adds one packet (arrival time `nowMs`, any monotonic clock); returns what may be played now. */
  push(sequenceNumber: number, payload: Uint8Array, nowMs: number): JitterOutput[] {
    const out: JitterOutput[] = [];
    this.stats.received += 1;
    if (this.#expected === undefined) this.#expected = sequenceNumber;
    const delta = seqDelta(this.#expected, sequenceNumber);
    if (delta > this.options.maxGapPackets || delta < -this.options.maxGapPackets) {
      this.#pending.clear();
      this.#expected = sequenceNumber;
      this.stats.resets += 1;
      out.push({ kind: "reset" });
    } else if (delta < 0) {
      this.stats.late += 1;
      return out;
    } else if (this.#pending.has(sequenceNumber)) {
      this.stats.duplicate += 1;
      return out;
    }
    this.#pending.set(sequenceNumber, { payload, arrivedMs: nowMs });
    this.#drain(nowMs, out);
    return out;
  }

  /** Forgets everything (a new source on the track). */
  reset(): void {
    this.#pending.clear();
    this.#expected = undefined;
  }

  #drain(nowMs: number, out: JitterOutput[]): void {
    for (;;) {
      const expected = this.#expected!;
      const head = this.#pending.get(expected);
      if (head !== undefined) {
        this.#pending.delete(expected);
        out.push({ kind: "packet", sequenceNumber: expected, payload: head.payload });
        this.#expected = (expected + 1) & 0xffff;
        continue;
      }
      if (this.#pending.size === 0 || !this.#giveUp(nowMs)) return;
      this.stats.lost += 1;
      const next = this.#pending.get((expected + 1) & 0xffff)?.payload;
      out.push({ kind: "lost", sequenceNumber: expected, next });
      this.#expected = (expected + 1) & 0xffff;
    }
  }

  #giveUp(nowMs: number): boolean {
    if (this.#pending.size > this.options.maxPackets) return true;
    for (const p of this.#pending.values()) {
      if (nowMs - p.arrivedMs >= this.options.maxWaitMs) return true;
    }
    return false;
  }
}
