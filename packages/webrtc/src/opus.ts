// Opus for the local edge: a native encoder (@evan/opus) for the agent's voice, and a decoder per
// browser built on the same package's WebAssembly build, which exposes packet-loss concealment
// and in-band FEC (the native binding's decode() does neither).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Encoder } from "@evan/opus";

/** Sample rates Opus encodes and decodes natively. */
export type OpusSampleRateHz = 8000 | 12000 | 16000 | 24000 | 48000;
export const OPUS_SAMPLE_RATES: readonly number[] = [8000, 12000, 16000, 24000, 48000];
/** RTP clock of Opus, whatever the audio's rate (RFC 7587). */
export const OPUS_RTP_CLOCK_HZ = 48000;

/**
 * The few WebAssembly calls this file makes. Node has them as globals, but @types/node 20 does not
 * declare them (they live in the DOM lib), and this package builds without the DOM lib.
 */
interface WasmGlobal {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

interface OpusWasm {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  opus_decoder_get_size(channels: number): number;
  opus_decoder_init(ptr: number, sampleRateHz: number, channels: number): number;
  opus_decode(
    ptr: number,
    data: number,
    length: number,
    pcm: number,
    frameSize: number,
    decodeFec: number,
  ): number;
  opus_decoder_ctl_set(ptr: number, cmd: number, value: number): number;
}

let wasm: OpusWasm | undefined;

function loadWasm(): OpusWasm {
  if (wasm !== undefined) return wasm;
  const require = createRequire(import.meta.url);
  const simd = WebAssembly.validate(
    Uint8Array.of(
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      96,
      0,
      0,
      3,
      2,
      1,
      0,
      10,
      9,
      1,
      7,
      0,
      65,
      0,
      253,
      15,
      26,
      11,
    ),
  );
  const file = require.resolve(`@evan/opus/wasm/${simd ? "simd" : "opus"}.wasm`);
  const module = new WebAssembly.Module(readFileSync(file));
  const noop = () => {};
  const instance = new WebAssembly.Instance(module, {
    wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
    env: { emscripten_notify_memory_growth: noop },
  });
  const exports = instance.exports as unknown as OpusWasm & { _initialize?: () => void };
  exports._initialize?.();
  wasm = exports;
  return wasm;
}

/** Loads the codec binaries now, so the first call does not pay for it. */
export function preloadOpus(): void {
  loadWasm();
  new Encoder({ channels: 1, sample_rate: 48000, application: "voip" });
}

/** Largest Opus packet we accept from the network (RFC 6716 allows 1275 bytes per frame). */
const MAX_PACKET_BYTES = 1500;
/** 120 ms at 48 kHz: the longest frame Opus decodes. */
const MAX_FRAME_SAMPLES = 5760;

/**
 * One browser's Opus stream decoded to mono PCM at `sampleRateHz`. `decode` returns null for a
 * packet Opus rejects (the caller conceals it instead).
 */
export class OpusDecoder {
  readonly sampleRateHz: OpusSampleRateHz;
  readonly #wasm: OpusWasm;
  #state: number;
  readonly #input: number;
  readonly #output: number;
  /** Samples of the last decoded frame: how much to conceal for one lost packet. */
  #lastFrameSamples: number;

  constructor(sampleRateHz: OpusSampleRateHz) {
    this.sampleRateHz = sampleRateHz;
    this.#wasm = loadWasm();
    const w = this.#wasm;
    this.#state = w.malloc(w.opus_decoder_get_size(1));
    this.#input = w.malloc(MAX_PACKET_BYTES);
    this.#output = w.malloc(MAX_FRAME_SAMPLES * 2);
    const rc = w.opus_decoder_init(this.#state, sampleRateHz, 1);
    if (rc < 0) {
      this.close();
      throw new Error(`opus_decoder_init failed (${rc})`);
    }
    this.#lastFrameSamples = sampleRateHz / 50;
  }

  /** Decodes one packet; null when Opus rejects it as corrupt. */
  decode(packet: Uint8Array): Int16Array | null {
    return this.#run(packet, MAX_FRAME_SAMPLES, 0);
  }

  /** Recovers the frame before `next` from its in-band FEC data (PLC when it carries none). */
  decodeFec(next: Uint8Array): Int16Array | null {
    return this.#run(next, this.#lastFrameSamples, 1);
  }

  /** Packet-loss concealment: one frame's worth of plausible audio in place of a lost packet. */
  conceal(): Int16Array {
    return this.#run(null, this.#lastFrameSamples, 0) ?? new Int16Array(this.#lastFrameSamples);
  }

  /** Forgets the stream (a new source on the same track). */
  reset(): void {
    if (this.#state === 0) return;
    this.#wasm.opus_decoder_ctl_set(this.#state, 4028, 0);
  }

  close(): void {
    if (this.#state === 0) return;
    this.#wasm.free(this.#state);
    this.#wasm.free(this.#input);
    this.#wasm.free(this.#output);
    this.#state = 0;
  }

  #run(packet: Uint8Array | null, frameSamples: number, fec: 0 | 1): Int16Array | null {
    if (this.#state === 0) throw new Error("OpusDecoder is closed");
    const w = this.#wasm;
    let length = 0;
    if (packet !== null) {
      if (packet.length === 0 || packet.length > MAX_PACKET_BYTES) return null;
      new Uint8Array(w.memory.buffer, this.#input, packet.length).set(packet);
      length = packet.length;
    }
    const n = w.opus_decode(
      this.#state,
      packet === null ? 0 : this.#input,
      length,
      this.#output,
      frameSamples,
      fec,
    );
    if (n < 0) return null;
    if (fec === 0 && packet !== null) this.#lastFrameSamples = n;
    return new Int16Array(w.memory.buffer, this.#output, n).slice();
  }
}

export interface OpusEncoderOptions {
  sampleRateHz: OpusSampleRateHz;
  bitrateBps: number;
  /** 0..10: CPU against quality. */
  complexity: number;
  /** Adds in-band FEC so the browser can recover a lost packet from the next one. */
  inbandFec: boolean;
}

/** The agent's voice, mono, one encoder per call (every browser hears the same stream). */
export class OpusEncoder {
  readonly sampleRateHz: OpusSampleRateHz;
  readonly #encoder: Encoder;

  constructor(options: OpusEncoderOptions) {
    this.sampleRateHz = options.sampleRateHz;
    this.#encoder = new Encoder({ channels: 1, sample_rate: options.sampleRateHz, application: "voip" });
    this.#encoder.bitrate = options.bitrateBps;
    this.#encoder.complexity = Math.max(0, Math.min(10, Math.round(options.complexity))) as 0;
    if (options.inbandFec) {
      this.#encoder.inband_fec = true;
      this.#encoder.packet_loss = 5;
    }
  }

  /** Encodes one frame of 2.5/5/10/20/40/60 ms; returns a packet the caller owns. */
  encode(samples: Int16Array): Uint8Array {
    // The native binding returns a view of a buffer it reuses: copy it out.
    return Uint8Array.from(this.#encoder.encode(samples));
  }

  /** Starts a fresh stream state (after a cut, so the next talk spurt has no tail of the last). */
  reset(): void {
    this.#encoder.reset();
  }
}
