// In-process binding to Debian's libpocketsphinx (0.8 / 5prealpha) through koffi. Every call that
// decodes runs on a libuv worker thread (koffi's `.async`), so decoding never blocks the event loop.
import { access, constants } from "node:fs/promises";
import { CallwrightError } from "callwright";
import type koffiModule from "koffi";
import { writeBiasModel } from "./bias-model.js";
import type { Decoder, DecoderAdaptation } from "./decoder.js";

type Koffi = typeof koffiModule;
type Fn = ReturnType<koffiModule.IKoffiLib["func"]>;
/** An opaque native pointer as koffi hands it over. */
type Pointer = unknown;

export const pocketsphinxInstallHint = "apt-get install -y pocketsphinx pocketsphinx-en-us";

/** Where the model files are and how to search; every decoder of a pool gets the same. */
export interface PocketsphinxConfig {
  libraryPath: string;
  sphinxbaseLibraryPath: string;
  acousticModelPath: string;
  languageModelPath: string;
  dictionaryPath: string;
  fwdflat: boolean;
  bestpath: boolean;
  extraArgs: readonly string[];
  /** Phrases to lean toward: a trigram model of them is interpolated with the general one. */
  biasPhrases: readonly string[];
  /** The phrases' model's share of the interpolation (0–1). */
  biasWeight: number;
}

interface Library {
  koffi: Koffi;
  psArgs: Fn;
  cmdLnParse: Fn;
  cmdLnFree: Fn;
  init: Fn;
  free: Fn;
  startUtt: Fn;
  processRaw: Fn;
  endUtt: Fn;
  getHyp: Fn;
  getFeat: Fn;
  cmnLiveGet: Fn;
  cmnLiveSet: Fn;
  getConfig: Fn;
  getLogmath: Fn;
  ngramRead: Fn;
  ngramSetInit: Fn;
  ngramFree: Fn;
  setLm: Fn;
  setSearch: Fn;
  featType: koffiModule.IKoffiCType;
  cmnType: koffiModule.IKoffiCType;
}

const libraries = new Map<string, Promise<Library>>();

function loadLibrary(config: PocketsphinxConfig): Promise<Library> {
  const key = `${config.libraryPath}\n${config.sphinxbaseLibraryPath}`;
  let lib = libraries.get(key);
  if (lib === undefined) {
    lib = bind(config);
    libraries.set(key, lib);
    lib.catch(() => libraries.delete(key));
  }
  return lib;
}

async function bind(config: PocketsphinxConfig): Promise<Library> {
  const koffi = (await import("koffi")).default;
  let ps: koffiModule.IKoffiLib;
  let sb: koffiModule.IKoffiLib;
  try {
    sb = koffi.load(config.sphinxbaseLibraryPath);
    ps = koffi.load(config.libraryPath);
  } catch (cause) {
    throw new CallwrightError(
      `pocketsphinx STT: cannot load ${config.libraryPath} (${(cause as Error).message}). ` +
        `Install it with: ${pocketsphinxInstallHint}`,
      { code: "stt_library_missing", fault: "user", cause },
    );
  }
  // The library logs every configuration value and utterance to stderr; keep it quiet.
  sb.func("void err_set_logfp(void *fp)")(null);
  return {
    koffi,
    psArgs: ps.func("void *ps_args()"),
    cmdLnParse: sb.func(
      "void *cmd_ln_parse_r(void *inout, void *defn, int argc, const char **argv, int strict)",
    ),
    cmdLnFree: sb.func("int cmd_ln_free_r(void *cmdln)"),
    init: ps.func("void *ps_init(void *config)"),
    free: ps.func("int ps_free(void *ps)"),
    startUtt: ps.func("int ps_start_utt(void *ps)"),
    processRaw: ps.func(
      "int ps_process_raw(void *ps, const int16_t *data, size_t n, int no_search, int full_utt)",
    ),
    endUtt: ps.func("int ps_end_utt(void *ps)"),
    getHyp: ps.func("const char *ps_get_hyp(void *ps, _Out_ int32_t *score)"),
    getFeat: ps.func("void *ps_get_feat(void *ps)"),
    cmnLiveGet: sb.func("void cmn_live_get(void *cmn, _Out_ float *vec)"),
    cmnLiveSet: sb.func("void cmn_live_set(void *cmn, const float *vec)"),
    getConfig: ps.func("void *ps_get_config(void *ps)"),
    getLogmath: ps.func("void *ps_get_logmath(void *ps)"),
    // NGRAM_AUTO (0): ARPA or binary, by content.
    ngramRead: sb.func("void *ngram_model_read(void *config, const char *path, int type, void *lmath)"),
    ngramSetInit: sb.func(
      "void *ngram_model_set_init(void *config, void **models, const char **names, const float *weights, int n)",
    ),
    ngramFree: sb.func("int ngram_model_free(void *model)"),
    setLm: ps.func("int ps_set_lm(void *ps, const char *name, void *lm)"),
    setSearch: ps.func("int ps_set_search(void *ps, const char *name)"),
    // The head of sphinxbase's public `feat_t` and `cmn_t` (feat.h, cmn.h), up to the fields we read.
    featType: koffi.struct({
      refcount: "int",
      name: "void *",
      cepsize: "int32_t",
      n_stream: "int32_t",
      stream_len: "void *",
      window_size: "int32_t",
      n_sv: "int32_t",
      sv_len: "void *",
      subvecs: "void *",
      sv_buf: "void *",
      sv_dim: "int32_t",
      cmn: "int",
      varnorm: "int32_t",
      agc: "int",
      compute_feat: "void *",
      cmn_struct: "void *",
    }),
    cmnType: koffi.struct({
      cmn_mean: "void *",
      cmn_var: "void *",
      sum: "void *",
      nframe: "int32_t",
      veclen: "int32_t",
    }),
  };
}

function callAsync<T>(fn: Fn, ...args: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn.async(...args, (error: unknown, result: T) => (error ? reject(error) : resolve(result)));
  });
}

/** Fails with an install hint when a model file is missing. */
export async function checkModelFiles(config: PocketsphinxConfig): Promise<void> {
  const files = [
    `${config.acousticModelPath}/mdef`,
    `${config.acousticModelPath}/means`,
    config.languageModelPath,
    config.dictionaryPath,
  ];
  for (const file of files) {
    try {
      await access(file, constants.R_OK);
    } catch (cause) {
      throw new CallwrightError(
        `pocketsphinx STT: model file ${file} is missing. Install the English model with: ` +
          `${pocketsphinxInstallHint} (or point the STT's model paths at your own model)`,
        { code: "stt_model_missing", fault: "user", cause },
      );
    }
  }
}

/** Loads the model (≈0.3 s, ≈95 MB) into a new decoder, on a worker thread. */
export async function createPocketsphinxDecoder(config: PocketsphinxConfig): Promise<PocketsphinxDecoder> {
  await checkModelFiles(config);
  const lib = await loadLibrary(config);
  const biased = config.biasPhrases.length > 0 && config.biasWeight > 0;
  const argv = [
    "-hmm",
    config.acousticModelPath,
    // Biased: the language model is set after init, as an interpolated pair (loaded once).
    ...(biased ? [] : ["-lm", config.languageModelPath]),
    "-dict",
    config.dictionaryPath,
    "-fwdflat",
    config.fwdflat ? "yes" : "no",
    "-bestpath",
    config.bestpath ? "yes" : "no",
    ...config.extraArgs,
  ];
  const cmdLn = lib.cmdLnParse(null, lib.psArgs(), argv.length, argv, 1) as Pointer;
  if (cmdLn === null) {
    throw new CallwrightError(
      `pocketsphinx STT: invalid decoder arguments ${JSON.stringify(config.extraArgs)}; see pocketsphinx_continuous -help`,
      { code: "config_invalid", fault: "user" },
    );
  }
  const ps = await callAsync<Pointer>(lib.init, cmdLn);
  // ps_init keeps its own reference to the configuration.
  lib.cmdLnFree(cmdLn);
  if (ps === null) {
    throw new CallwrightError(
      "pocketsphinx STT: the decoder failed to load its model (a file is missing or not a pocketsphinx model). " +
        `Install the English model with: ${pocketsphinxInstallHint}`,
      { code: "stt_model_missing", fault: "user" },
    );
  }
  if (biased) {
    try {
      await useBiasedModel(lib, ps, config);
    } catch (error) {
      lib.free(ps);
      throw error;
    }
  }
  return new PocketsphinxDecoder(lib, ps);
}

const biasModels = new Map<string, Promise<string>>();

/** The general model and the phrases' model, interpolated, as the decoder's search. */
async function useBiasedModel(lib: Library, ps: Pointer, config: PocketsphinxConfig): Promise<void> {
  const key = JSON.stringify([config.dictionaryPath, config.biasPhrases]);
  let path = biasModels.get(key);
  if (path === undefined) {
    path = writeBiasModel(config.biasPhrases, config.dictionaryPath);
    biasModels.set(key, path);
    path.catch(() => biasModels.delete(key));
  }
  const biasPath = await path;
  const cmdLn = lib.getConfig(ps) as Pointer;
  const lmath = lib.getLogmath(ps) as Pointer;
  const general = await callAsync<Pointer>(lib.ngramRead, cmdLn, config.languageModelPath, 0, lmath);
  if (general === null) {
    throw new CallwrightError(
      `pocketsphinx STT: cannot read the language model ${config.languageModelPath}. Install the English model with: ${pocketsphinxInstallHint}`,
      { code: "stt_model_missing", fault: "user" },
    );
  }
  const phrases = await callAsync<Pointer>(lib.ngramRead, cmdLn, biasPath, 0, lmath);
  if (phrases === null) {
    lib.ngramFree(general);
    throw new Error(`pocketsphinx STT: cannot read the bias model ${biasPath}`);
  }
  const weights = new Float32Array([1 - config.biasWeight, config.biasWeight]);
  // The set owns both models from here on.
  const set = lib.ngramSetInit(cmdLn, [general, phrases], ["general", "phrases"], weights, 2) as Pointer;
  if (set === null) {
    lib.ngramFree(general);
    lib.ngramFree(phrases);
    throw new Error("pocketsphinx STT: cannot interpolate the bias model with the general one");
  }
  // ps_set_lm keeps its own reference to the set.
  const added = lib.setLm(ps, "callwright", set) as number;
  lib.ngramFree(set);
  if (added < 0 || (lib.setSearch(ps, "callwright") as number) < 0) {
    throw new Error("pocketsphinx STT: cannot search with the biased language model");
  }
}

export class PocketsphinxDecoder implements Decoder {
  readonly #lib: Library;
  #ps: Pointer;
  #inUtterance = false;
  /** The live cepstral-mean state (`cmn_t *`), or null where the struct layout did not check out. */
  readonly #cmn: Pointer | null;
  readonly #cepsize: number;
  /** The model's initial cepstral mean (`-cmninit`), where a new speaker starts. */
  readonly #initialMean: Float32Array | undefined;

  constructor(lib: Library, ps: Pointer) {
    this.#lib = lib;
    this.#ps = ps;
    const feat = lib.koffi.decode(lib.getFeat(ps), lib.featType) as { cepsize: number; cmn_struct: Pointer };
    const cmn =
      feat.cmn_struct === null
        ? null
        : (lib.koffi.decode(feat.cmn_struct, lib.cmnType) as { veclen: number });
    // Sanity check of the struct layout: MFCC vectors are 13 wide in every Sphinx model we know,
    // and the CMN vector has the cepstrum's size. Anything else: don't touch the CMN state.
    const layoutOk = cmn !== null && feat.cepsize > 0 && feat.cepsize <= 64 && cmn.veclen === feat.cepsize;
    this.#cmn = layoutOk ? feat.cmn_struct : null;
    this.#cepsize = layoutOk ? feat.cepsize : 0;
    this.#initialMean = this.#readMean();
  }

  get inUtterance(): boolean {
    return this.#inUtterance;
  }

  async startUtterance(adaptation: DecoderAdaptation | undefined): Promise<void> {
    const mean = adaptation ?? this.#initialMean;
    if (this.#cmn !== null && mean !== undefined && mean.length === this.#cepsize) {
      this.#lib.cmnLiveSet(this.#cmn, mean);
    }
    this.#check(await callAsync<number>(this.#lib.startUtt, this.#live()), "ps_start_utt");
    this.#inUtterance = true;
  }

  async process(samples: Int16Array): Promise<void> {
    if (samples.length === 0) return;
    const frames = await callAsync<number>(this.#lib.processRaw, this.#live(), samples, samples.length, 0, 0);
    this.#check(frames, "ps_process_raw");
  }

  async partialHypothesis(): Promise<string> {
    const text = await callAsync<string | null>(this.#lib.getHyp, this.#live(), [0]);
    return text ?? "";
  }

  async endUtterance(): Promise<{ text: string; adaptation: DecoderAdaptation | undefined }> {
    this.#inUtterance = false;
    this.#check(await callAsync<number>(this.#lib.endUtt, this.#live()), "ps_end_utt");
    const text = await callAsync<string | null>(this.#lib.getHyp, this.#live(), [0]);
    return { text: text ?? "", adaptation: this.#readMean() };
  }

  free(): void {
    if (this.#ps === null) return;
    this.#lib.free(this.#ps);
    this.#ps = null;
  }

  #readMean(): Float32Array | undefined {
    if (this.#cmn === null) return undefined;
    const mean = new Float32Array(this.#cepsize);
    this.#lib.cmnLiveGet(this.#cmn, mean);
    return mean;
  }

  #live(): Pointer {
    if (this.#ps === null) throw new Error("pocketsphinx decoder used after free()");
    return this.#ps;
  }

  #check(result: number, call: string): void {
    if (result < 0) throw new Error(`pocketsphinx ${call} failed (${result})`);
  }
}
