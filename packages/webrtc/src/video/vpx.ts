// Debian's libvpx (libvpx7) through koffi: a VP8 decoder and encoder. Every decode and encode
// runs on a libuv worker thread (koffi's `.async`), so video never blocks the event loop; the
// rest (reading the picture out, packing planes) is a copy.
import type koffiModule from "koffi";
import type { I420Image } from "./image.js";

type Koffi = typeof koffiModule;
type Fn = ReturnType<koffiModule.IKoffiLib["func"]>;
type Pointer = unknown;

export const libvpxInstallHint = "apt-get install -y libvpx7";

/** Thrown when libvpx is missing or refuses; `code` is stable. */
export class VpxError extends Error {
  readonly code: "vpx_library_missing" | "vpx_init_failed" | "vpx_decode_failed" | "vpx_encode_failed";
  constructor(code: VpxError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VpxError";
    this.code = code;
  }
}

// Struct layouts of libvpx 1.12 (vpx_image.h, vpx_encoder.h) on 64-bit Linux.
const CTX_BYTES = 56;
const IMAGE_BYTES = 136;
const IMAGE = { dW: 24, dH: 28, planes: 48, strides: 80 } as const;
const ENC_CFG_BYTES = 504;
const ENC_CFG = {
  threads: 4,
  width: 12,
  height: 16,
  timebaseNum: 28,
  timebaseDen: 32,
  errorResilient: 36,
  lagInFrames: 44,
  dropFrameThreshold: 48,
  endUsage: 72,
  targetBitrateKbps: 112,
  kfMode: 160,
  kfMaxDist: 168,
} as const;
const PKT = { kind: 0, buf: 8, size: 16, flags: 40 } as const;
const IMG_FMT_I420 = 0x102;
const DECODER_ABI = 12;
/** The encoder ABI changes between libvpx versions; these are the ones whose layout is above. */
const ENCODER_ABI: Record<string, number> = { "1.11": 25, "1.12": 25 };
const VP8E_SET_CPUUSED = 13;
const DL_REALTIME = 1;

interface Library {
  koffi: Koffi;
  version: string;
  vp8Dx: Pointer;
  vp8Cx: Pointer;
  decInit: Fn;
  decode: Fn;
  getFrame: Fn;
  destroy: Fn;
  error: Fn;
  errorDetail: Fn;
  encConfigDefault: Fn;
  encInit: Fn;
  control: Fn;
  imgWrap: Fn;
  encode: Fn;
  getCxData: Fn;
}

const LIBRARY_NAMES = ["libvpx.so.7", "libvpx.so.8", "libvpx.so.9", "libvpx.so"];
let library: Promise<Library> | undefined;

/** Loads libvpx once per process; rejects with a VpxError naming the package to install. */
export function loadLibvpx(): Promise<Library> {
  library ??= bind();
  library.catch(() => {
    library = undefined;
  });
  return library;
}

async function bind(): Promise<Library> {
  const koffi = (await import("koffi")).default;
  let lib: koffiModule.IKoffiLib | undefined;
  let lastError: unknown;
  for (const name of LIBRARY_NAMES) {
    try {
      lib = koffi.load(name);
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (lib === undefined) {
    throw new VpxError(
      "vpx_library_missing",
      `video needs libvpx, which is not installed (${(lastError as Error)?.message}). Install it with: ${libvpxInstallHint}`,
      { cause: lastError },
    );
  }
  const versionStr = lib.func("const char *vpx_codec_version_str()")() as string;
  return {
    koffi,
    version: versionStr,
    vp8Dx: lib.func("void *vpx_codec_vp8_dx()")(),
    vp8Cx: lib.func("void *vpx_codec_vp8_cx()")(),
    decInit: lib.func("int vpx_codec_dec_init_ver(void *ctx, void *iface, void *cfg, long flags, int ver)"),
    decode: lib.func(
      "int vpx_codec_decode(void *ctx, const uint8_t *data, unsigned int size, void *priv, long deadline)",
    ),
    getFrame: lib.func("void *vpx_codec_get_frame(void *ctx, void *iter)"),
    destroy: lib.func("int vpx_codec_destroy(void *ctx)"),
    error: lib.func("const char *vpx_codec_error(void *ctx)"),
    errorDetail: lib.func("const char *vpx_codec_error_detail(void *ctx)"),
    encConfigDefault: lib.func(
      "int vpx_codec_enc_config_default(void *iface, void *cfg, unsigned int usage)",
    ),
    encInit: lib.func("int vpx_codec_enc_init_ver(void *ctx, void *iface, void *cfg, long flags, int ver)"),
    control: lib.func("int vpx_codec_control_(void *ctx, int id, ...)"),
    imgWrap: lib.func(
      "void *vpx_img_wrap(void *img, int fmt, unsigned int w, unsigned int h, unsigned int align, uint8_t *data)",
    ),
    encode: lib.func(
      "int vpx_codec_encode(void *ctx, void *img, int64_t pts, unsigned long duration, long flags, unsigned long deadline)",
    ),
    getCxData: lib.func("void *vpx_codec_get_cx_data(void *ctx, void *iter)"),
  };
}

function callAsync(fn: Fn, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (error: unknown, result: number) => (error ? reject(error) : resolve(result)));
  });
}

function codecError(lib: Library, ctx: Buffer, what: string): string {
  const detail = lib.errorDetail(ctx) as string | null;
  return `${what}: ${lib.error(ctx) as string}${detail ? ` (${detail})` : ""}`;
}

/** A VP8 decoder: one per video stream; calls are serialised by the caller. */
export class Vp8Decoder {
  readonly #lib: Library;
  readonly #ctx = Buffer.alloc(CTX_BYTES);
  #closed = false;
  #busy = false;

  private constructor(lib: Library) {
    this.#lib = lib;
  }

  static async create(): Promise<Vp8Decoder> {
    const lib = await loadLibvpx();
    const decoder = new Vp8Decoder(lib);
    const cfg = Buffer.alloc(12);
    cfg.writeUInt32LE(1, 0); // one thread: a call decodes few frames, and other calls need cores too
    const rc = lib.decInit(decoder.#ctx, lib.vp8Dx, cfg, 0, DECODER_ABI) as number;
    if (rc !== 0) {
      throw new VpxError(
        "vpx_init_failed",
        codecError(lib, decoder.#ctx, "libvpx's VP8 decoder did not start"),
      );
    }
    return decoder;
  }

  /**
   * Decodes one whole VP8 frame off the event loop; resolves with the picture (planes copied
   * out), or null when the frame showed nothing. Rejects with a VpxError for a corrupt frame.
   */
  async decode(frame: Uint8Array): Promise<I420Image | null> {
    if (this.#closed) throw new VpxError("vpx_decode_failed", "the VP8 decoder is closed");
    if (this.#busy) throw new VpxError("vpx_decode_failed", "the VP8 decoder is already decoding a frame");
    this.#busy = true;
    const lib = this.#lib;
    try {
      const data = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      const rc = await callAsync(lib.decode, this.#ctx, data, data.length, null, 0);
      if (this.#closed) return null;
      if (rc !== 0)
        throw new VpxError("vpx_decode_failed", codecError(lib, this.#ctx, "VP8 frame not decoded"));
      const iter = Buffer.alloc(8);
      let image: I420Image | null = null;
      for (let img = lib.getFrame(this.#ctx, iter); img !== null; img = lib.getFrame(this.#ctx, iter)) {
        image = readImage(lib.koffi, img);
      }
      return image;
    } finally {
      this.#busy = false;
      if (this.#closed) this.#destroy();
    }
  }

  /** Frees the decoder (after a decode in flight finishes). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#busy) this.#destroy();
  }

  #destroy(): void {
    this.#lib.destroy(this.#ctx);
  }
}

function readImage(koffi: Koffi, img: Pointer): I420Image {
  const head = new DataView(koffi.view(img, IMAGE_BYTES));
  const widthPx = head.getUint32(IMAGE.dW, true);
  const heightPx = head.getUint32(IMAGE.dH, true);
  const chromaW = (widthPx + 1) >> 1;
  const chromaH = (heightPx + 1) >> 1;
  const plane = (index: number, w: number, h: number): Uint8Array => {
    const ptr = koffi.decode(img, IMAGE.planes + 8 * index, "void *");
    const stride = head.getInt32(IMAGE.strides + 4 * index, true);
    const src = new Uint8Array(koffi.view(ptr, stride * (h - 1) + w));
    if (stride === w) return src.slice(0, w * h);
    const out = new Uint8Array(w * h);
    for (let row = 0; row < h; row++) out.set(src.subarray(row * stride, row * stride + w), row * w);
    return out;
  };
  return {
    widthPx,
    heightPx,
    y: plane(0, widthPx, heightPx),
    u: plane(1, chromaW, chromaH),
    v: plane(2, chromaW, chromaH),
  };
}

export interface Vp8EncoderOptions {
  widthPx: number;
  heightPx: number;
  /** Target bitrate. Default 500 kb/s. */
  bitrateKbps?: number;
  /** A keyframe at least this often, in frames. Default 300 (10 s at 30 fps). */
  keyframeIntervalFrames?: number;
}

export interface EncodedVp8 {
  data: Uint8Array;
  keyframe: boolean;
}

/** A VP8 encoder for realtime use (CBR, no lag, error resilient); one per video track. */
export class Vp8Encoder {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly #lib: Library;
  readonly #ctx = Buffer.alloc(CTX_BYTES);
  readonly #img = Buffer.alloc(IMAGE_BYTES);
  #pts = 0;
  #closed = false;
  #busy = false;

  private constructor(lib: Library, options: Vp8EncoderOptions) {
    this.#lib = lib;
    this.widthPx = options.widthPx;
    this.heightPx = options.heightPx;
  }

  static async create(options: Vp8EncoderOptions): Promise<Vp8Encoder> {
    const { widthPx, heightPx } = options;
    if (!Number.isInteger(widthPx) || !Number.isInteger(heightPx) || widthPx < 16 || heightPx < 16) {
      throw new RangeError(`a VP8 encoder needs a size of at least 16x16, got ${widthPx}x${heightPx}`);
    }
    const lib = await loadLibvpx();
    const abi = ENCODER_ABI[/^v?(\d+\.\d+)/.exec(lib.version)?.[1] ?? ""];
    if (abi === undefined) {
      throw new VpxError(
        "vpx_init_failed",
        `the VP8 encoder supports libvpx 1.11–1.12 (Debian 12's libvpx7); this is ${lib.version}`,
      );
    }
    const encoder = new Vp8Encoder(lib, options);
    const cfg = Buffer.alloc(ENC_CFG_BYTES);
    if ((lib.encConfigDefault(lib.vp8Cx, cfg, 0) as number) !== 0) {
      throw new VpxError("vpx_init_failed", "libvpx has no default VP8 encoder configuration");
    }
    cfg.writeUInt32LE(1, ENC_CFG.threads);
    cfg.writeUInt32LE(widthPx, ENC_CFG.width);
    cfg.writeUInt32LE(heightPx, ENC_CFG.height);
    cfg.writeInt32LE(1, ENC_CFG.timebaseNum);
    cfg.writeInt32LE(90_000, ENC_CFG.timebaseDen);
    cfg.writeUInt32LE(1, ENC_CFG.errorResilient);
    cfg.writeUInt32LE(0, ENC_CFG.lagInFrames);
    cfg.writeUInt32LE(0, ENC_CFG.dropFrameThreshold);
    cfg.writeUInt32LE(1, ENC_CFG.endUsage); // VPX_CBR
    cfg.writeUInt32LE(options.bitrateKbps ?? 500, ENC_CFG.targetBitrateKbps);
    cfg.writeUInt32LE(1, ENC_CFG.kfMode); // VPX_KF_AUTO
    cfg.writeUInt32LE(options.keyframeIntervalFrames ?? 300, ENC_CFG.kfMaxDist);
    if ((lib.encInit(encoder.#ctx, lib.vp8Cx, cfg, 0, abi) as number) !== 0) {
      throw new VpxError(
        "vpx_init_failed",
        codecError(lib, encoder.#ctx, "libvpx's VP8 encoder did not start"),
      );
    }
    lib.control(encoder.#ctx, VP8E_SET_CPUUSED, "int", 8);
    return encoder;
  }

  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Encodes one I420 picture of the encoder's size off the event loop, at `rtpTimestamp`
   * (90 kHz). Resolves with the encoded frames (usually one; none when the encoder dropped it).
   */
  async encode(
    image: I420Image,
    options: { keyframe?: boolean; rtpTimestamp?: number } = {},
  ): Promise<EncodedVp8[]> {
    if (this.#closed) throw new VpxError("vpx_encode_failed", "the VP8 encoder is closed");
    if (this.#busy) throw new VpxError("vpx_encode_failed", "the VP8 encoder is already encoding a frame");
    if (image.widthPx !== this.widthPx || image.heightPx !== this.heightPx) {
      throw new RangeError(
        `the encoder takes ${this.widthPx}x${this.heightPx} pictures, got ${image.widthPx}x${image.heightPx}`,
      );
    }
    const lib = this.#lib;
    const ySize = image.y.length;
    const cSize = image.u.length;
    const planes = Buffer.allocUnsafe(ySize + 2 * cSize);
    planes.set(image.y, 0);
    planes.set(image.u, ySize);
    planes.set(image.v, ySize + cSize);
    lib.imgWrap(this.#img, IMG_FMT_I420, this.widthPx, this.heightPx, 1, planes);
    this.#pts += 3000;
    const pts = options.rtpTimestamp ?? this.#pts;
    this.#busy = true;
    try {
      const rc = await callAsync(
        lib.encode,
        this.#ctx,
        this.#img,
        pts,
        3000,
        options.keyframe ? 1 : 0,
        DL_REALTIME,
      );
      if (this.#closed) return [];
      if (rc !== 0)
        throw new VpxError("vpx_encode_failed", codecError(lib, this.#ctx, "VP8 frame not encoded"));
      const out: EncodedVp8[] = [];
      const iter = Buffer.alloc(8);
      for (let pkt = lib.getCxData(this.#ctx, iter); pkt !== null; pkt = lib.getCxData(this.#ctx, iter)) {
        const head = new DataView(lib.koffi.view(pkt, 48));
        if (head.getInt32(PKT.kind, true) !== 0) continue; // not a frame (stats, PSNR)
        const size = Number(head.getBigUint64(PKT.size, true));
        const buf = lib.koffi.decode(pkt, PKT.buf, "void *");
        out.push({
          data: new Uint8Array(lib.koffi.view(buf, size)).slice(),
          keyframe: (head.getUint32(PKT.flags, true) & 1) !== 0,
        });
      }
      return out;
    } finally {
      this.#busy = false;
      if (this.#closed) lib.destroy(this.#ctx);
    }
  }

  /** Frees the encoder (after an encode in flight finishes). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#busy) this.#lib.destroy(this.#ctx);
  }
}
