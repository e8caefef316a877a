import type { VadModel, VadStream } from "@callwright/spec";

/** How the energy detector judges a frame. */
export interface EnergyVadOptions {
  /** Rate of the frames it takes. Default 16000. */
  sampleRateHz: number;
  /** Frame length in milliseconds. Default 20. */
  frameMs: number;
  /** Level above the tracked noise floor, in dB, at which speech probability is 0.5. Default 12. */
  snrDb: number;
  /** Level (dBFS) below which nothing counts as speech, however quiet the room. Default -50. */
  minLevelDbfs: number;
  /** The noise floor assumed before the stream has shown its own. Default -60. */
  initialFloorDbfs: number;
  /** How fast the noise floor may rise during a long varying sound (speech), dB/s. Default 2. */
  floorRiseDbPerS: number;
  /** How fast it rises during a steady sound (a fan, a hum: level within ±2 dB), dB/s. Default 15. */
  steadyFloorRiseDbPerS: number;
  /** dB over which the probability goes from ~0.12 to ~0.88 around the threshold. Default 4. */
  slopeDb: number;
}

export const defaultEnergyVadOptions = {
  sampleRateHz: 16000,
  frameMs: 20,
  snrDb: 12,
  minLevelDbfs: -50,
  initialFloorDbfs: -60,
  floorRiseDbPerS: 2,
  steadyFloorRiseDbPerS: 15,
  slopeDb: 4,
} as const satisfies EnergyVadOptions;

const SILENT_DBFS = -100;

/**
 * The core's default voice activity model: frame energy against an adaptive noise floor. Good
 * enough for clean speech (a headset, a quiet room, tests); use a model such as Silero in noisy
 * rooms, where energy cannot tell speech from a fan.
 */
export class EnergyVad implements VadModel {
  readonly specificationVersion = "v1";
  readonly provider = "callwright";
  readonly modelId = "energy";
  readonly sampleRateHz: number;
  readonly frameSamples: number;
  readonly options: EnergyVadOptions;

  constructor(options: Partial<EnergyVadOptions> = {}) {
    this.options = { ...defaultEnergyVadOptions, ...options };
    this.sampleRateHz = this.options.sampleRateHz;
    this.frameSamples = Math.round((this.options.frameMs * this.sampleRateHz) / 1000);
  }

  createStream(): VadStream {
    return new EnergyVadStream(this.options, this.frameSamples);
  }
}

/** Level variance (dB²) under which a sound counts as steady, i.e. noise rather than speech. */
const STEADY_VARIANCE_DB2 = 4;

class EnergyVadStream implements VadStream {
  readonly #options: EnergyVadOptions;
  readonly #risePerFrameDb: number;
  readonly #steadyRisePerFrameDb: number;
  /** Smoothing per frame for the level's mean and variance (~0.5 s). */
  readonly #alpha: number;
  #floorDb: number | undefined;
  #meanDb = 0;
  #varianceDb2 = 10;

  constructor(options: EnergyVadOptions, frameSamples: number) {
    this.#options = options;
    const frameS = frameSamples / options.sampleRateHz;
    this.#risePerFrameDb = options.floorRiseDbPerS * frameS;
    this.#steadyRisePerFrameDb = options.steadyFloorRiseDbPerS * frameS;
    this.#alpha = Math.min(1, frameS / 0.5);
  }

  process(frame: Int16Array): number {
    const n = frame.length;
    if (n === 0) return 0;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += frame[i]!;
    mean /= n;
    let energy = 0;
    for (let i = 0; i < n; i++) {
      const v = (frame[i]! - mean) / 32768;
      energy += v * v;
    }
    const levelDb = energy > 0 ? Math.max(SILENT_DBFS, 10 * Math.log10(energy / n)) : SILENT_DBFS;
    // The floor starts at a quiet room's level (speech may come first: the stream has not shown
    // its noise yet), follows quieter frames quickly (pauses between words pull it down), and
    // louder ones slowly, unless they are steady: a fan or a hum is noise within a second or two.
    if (this.#floorDb === undefined) {
      this.#floorDb = Math.min(levelDb, this.#options.initialFloorDbfs);
      this.#meanDb = levelDb;
    }
    const deviation = levelDb - this.#meanDb;
    this.#meanDb += this.#alpha * deviation;
    this.#varianceDb2 += this.#alpha * (deviation * deviation - this.#varianceDb2);
    if (levelDb < this.#floorDb) this.#floorDb += 0.3 * (levelDb - this.#floorDb);
    else {
      const rise =
        this.#varianceDb2 < STEADY_VARIANCE_DB2 ? this.#steadyRisePerFrameDb : this.#risePerFrameDb;
      this.#floorDb += Math.min(rise, levelDb - this.#floorDb);
    }
    const threshold = Math.max(this.#floorDb + this.#options.snrDb, this.#options.minLevelDbfs);
    return 1 / (1 + Math.exp(-(levelDb - threshold) / (this.#options.slopeDb / 2)));
  }

  reset(): void {
    this.#floorDb = undefined;
    this.#varianceDb2 = 10;
  }

  close(): void {}
}
