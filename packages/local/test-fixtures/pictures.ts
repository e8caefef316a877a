// Pictures for vision tests, made from what ships in npm packages (no downloads): a portrait
// cropped from @vladmandic/human's sample sheet (one woman in a dark blue top), and plain cards.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type VideoFrame, videoFrame } from "callwright";
import sharp from "sharp";

const require = createRequire(import.meta.url);
const SAMPLES = join(dirname(require.resolve("@vladmandic/human")), "..", "assets", "samples.jpg");

/** The portrait, 640×480: the 480×480 crop centred on a grey background. */
export async function portraitFrame(): Promise<VideoFrame> {
  const { data, info } = await sharp(SAMPLES)
    .extract({ left: 162, top: 0, width: 156, height: 158 })
    .resize({ width: 480, height: 480, fit: "fill" })
    .extend({ left: 80, right: 80, background: { r: 128, g: 128, b: 128 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return videoFrame(new Uint8Array(data), info.width, info.height);
}

/** A card of one colour filling a 640×480 picture. */
export function cardFrame(rgb: [number, number, number], widthPx = 640, heightPx = 480): VideoFrame {
  const data = new Uint8Array(widthPx * heightPx * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return videoFrame(data, widthPx, heightPx);
}
