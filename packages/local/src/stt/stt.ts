import { availableParallelism } from "node:os";
import {
  ClosedError,
  type SttModel,
  type SttStream,
  type SttStreamOptions,
  type WarmupOptions,
} from "callwright";
import { DecoderPool, type DecoderPoolStats } from "./decoder-pool.js";
import { createPocketsphinxDecoder, type PocketsphinxConfig } from "./pocketsphinx.js";
import { RecognitionStream, sttInputSampleRateHz } from "./recognition-stream.js";

const modelDir = "/usr/share/pocketsphinx/model/en-us";

export interface PocketsphinxSttOptions {
  /** Acoustic model directory. Default: Debian `pocketsphinx-en-us`'s US English model. */
  acousticModelPath: string;
  /** Language model (`.lm.bin`, `.lm` or `.dmp`). Default: Debian's US English trigram model. */
  languageModelPath: string;
  /** Pronunciation dictionary. Default: Debian's CMU dictionary. */
  dictionaryPath: string;
  /** The pocketsphinx shared library. Default `libpocketsphinx.so.3` (Debian `libpocketsphinx3`). */
  libraryPath: string;
  /** The sphinxbase shared library. Default `libsphinxbase.so.3` (Debian `libsphinxbase3`). */
  sphinxbaseLibraryPath: string;
  /**
   * Most decoders loaded at once, shared by every session of this process that uses the same
   * model options. Each holds the model (≈95 MB) and serves one utterance at a time; utterances
   * beyond this many wait (their audio is kept) and are decoded as soon as one is free.
   * Default: the number of CPU cores, at least 2.
   */
  poolSize: number;
  /**
   * A second, flat-lexicon search pass over the whole utterance after the flush (pocketsphinx
   * `-fwdflat`). On our flite test set (4 sentences in kal16 and slt, a session per voice):
   * 5.0 % instead of 7.5 % word errors, for ≈105 ms more before each final (it re-searches the
   * whole utterance). Default false: the final comes ≈10–50 ms after the flush.
   */
  fwdflat: boolean;
  /**
   * Lattice best-path rescoring at the end (pocketsphinx `-bestpath`): 7.5 % instead of 8.8 %
   * word errors on the same set, for ≈5–15 ms. Default true.
   */
  bestpath: boolean;
  /**
   * Phrases the recognizer should lean toward, e.g. `local.offlineResponderPhrases()` (the
   * questions the offline responder understands). A trigram model of them (every word must be in
   * the dictionary; phrases with other words are left out) is interpolated with the general
   * English model, so other speech is still heard. Default none: the general model alone.
   */
  biasPhrases: readonly string[];
  /** The phrases' model's share of the interpolation, 0–1. Default 0.3. */
  biasWeight: number;
  /** More pocketsphinx arguments, e.g. `["-beam", "1e-60"]`. Default none. */
  extraArgs: readonly string[];
  /** Yield `interim` hypotheses while the user speaks. Default true. */
  interimResults: boolean;
  /** Audio between two interims, in ms. Default 300. */
  interimIntervalMs: number;
}

export const defaultPocketsphinxSttOptions = {
  acousticModelPath: `${modelDir}/en-us`,
  languageModelPath: `${modelDir}/en-us.lm.bin`,
  dictionaryPath: `${modelDir}/cmudict-en-us.dict`,
  libraryPath: "libpocketsphinx.so.3",
  sphinxbaseLibraryPath: "libsphinxbase.so.3",
  poolSize: Math.max(2, availableParallelism()),
  fwdflat: false,
  bestpath: true,
  extraArgs: [],
  biasPhrases: [],
  biasWeight: 0.3,
  interimResults: true,
  interimIntervalMs: 300,
} as const satisfies PocketsphinxSttOptions;

/** One pool per model configuration, for the whole process: sessions come and go, the model stays. */
const sharedPools = new Map<string, DecoderPool>();

function sharedPool(config: PocketsphinxConfig, size: number): DecoderPool {
  const key = JSON.stringify({ ...config, size });
  let pool = sharedPools.get(key);
  if (pool === undefined) {
    pool = new DecoderPool({ size, create: () => createPocketsphinxDecoder(config) });
    sharedPools.set(key, pool);
  }
  return pool;
}

/**
 * Offline English speech-to-text with CMU pocketsphinx, in process. Every `STT` with the same
 * model options shares one pool of decoders, so a process holds `poolSize` models however many
 * sessions it runs. Needs `apt-get install -y pocketsphinx pocketsphinx-en-us`.
 */
export class STT implements SttModel {
  readonly specificationVersion = "v1";
  readonly provider = "local";
  readonly modelId: string;
  readonly inputSampleRateHz = sttInputSampleRateHz;
  readonly options: Readonly<PocketsphinxSttOptions>;
  readonly #pool: DecoderPool;
  readonly #streams = new Set<RecognitionStream>();
  #closed = false;

  constructor(options: Partial<PocketsphinxSttOptions> = {}) {
    this.options = { ...defaultPocketsphinxSttOptions, ...options };
    const { poolSize, interimResults: _i, interimIntervalMs: _m, ...config } = this.options;
    this.#pool = sharedPool(config, poolSize);
    this.modelId =
      this.options.acousticModelPath === defaultPocketsphinxSttOptions.acousticModelPath
        ? "pocketsphinx-en-us"
        : "pocketsphinx";
  }

  /** Loads the model into the first decoder; fails with an install hint when something is missing. */
  async warmup(_options: WarmupOptions = {}): Promise<void> {
    await this.#pool.preload();
  }

  stream(options: SttStreamOptions): SttStream {
    if (this.#closed) throw new ClosedError("pocketsphinx STT");
    let stream: RecognitionStream | undefined;
    stream = new RecognitionStream(this.#pool, {
      signal: options.signal,
      interimResults: this.options.interimResults,
      interimIntervalMs: this.options.interimIntervalMs,
      provider: this.provider,
      onFinish: () => {
        if (stream !== undefined) this.#streams.delete(stream);
      },
    });
    if (!stream.stopped) this.#streams.add(stream);
    return stream;
  }

  /** The shared pool's occupancy (for tests, benchmarks and health pages). */
  poolStats(): DecoderPoolStats {
    return this.#pool.stats();
  }

  /** Stops this STT's open streams; the shared decoders stay loaded for other sessions. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of [...this.#streams]) stream.stop();
  }
}
