// JPEG for models that take pictures: sharp (libvips, a prebuilt binary from npm) encodes on
// libuv's thread pool, off the event loop: about 2–4 ms for 640×480 here (bench/video.ts).
import type { ChatImage, VideoFrame } from "@callwright/spec";

type Sharp = typeof import("sharp").default;
let sharpModule: Promise<Sharp> | undefined;

/** Encodes an RGB frame as JPEG (quality 1..100). */
export async function encodeJpeg(frame: VideoFrame, quality = 75): Promise<ChatImage> {
  sharpModule ??= import("sharp").then((m) => m.default);
  const sharp = await sharpModule;
  const data = await sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), {
    raw: { width: frame.widthPx, height: frame.heightPx, channels: 3 },
  })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
  return {
    mediaType: "image/jpeg",
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    widthPx: frame.widthPx,
    heightPx: frame.heightPx,
  };
}
