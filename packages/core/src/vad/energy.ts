import type { VadModel, VadStream } from "./types.js";

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
  /** How fast the noise floor may rise during a long sound, dB per second. Default 2. */
  floorRiseDbPerS: number;
  /** dB over which the probability goes from ~0.12 to ~0.88 around the threshold. Default 4. */
  slopeDb: number;
}

export const defaultEnergyVadOptions = {
  sampleRateHz: 16000,
  frameMs: 20,
  snrDb: 12,
  minLevelDbfs: -50,
  floorRiseDbPerS: 2,
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

class EnergyVadStream implements VadStream {
  readonly #options: EnergyVadOptions;
  readonly #risePerFrameDb: number;
  #floorDb: number | undefined;

  constructor(options: EnergyVadOptions, frameSamples: number) {
    this.#options = options;
    this.#risePerFrameDb = (options.floorRiseDbPerS * frameSamples) / options.sampleRateHz;
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
    // The floor follows quieter frames quickly and louder ones slowly: pauses between words
    // pull it down, a steady noise pushes it up over seconds.
    if (this.#floorDb === undefined) this.#floorDb = levelDb;
    else if (levelDb < this.#floorDb) this.#floorDb += 0.3 * (levelDb - this.#floorDb);
    else this.#floorDb += Math.min(this.#risePerFrameDb, levelDb - this.#floorDb);
    const threshold = Math.max(this.#floorDb + this.#options.snrDb, this.#options.minLevelDbfs);
    return 1 / (1 + Math.exp(-(levelDb - threshold) / (this.#options.slopeDb / 2)));
  }

  reset(): void {
    this.#floorDb = undefined;
  }

  close(): void {}
}
