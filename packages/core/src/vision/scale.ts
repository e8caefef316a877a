// Scaling an RGB frame down (box filter: each output pixel averages the pixels it covers).
import { type VideoFrame, videoFrame } from "@callwright/spec";

/** `frame` scaled to `widthPx` wide (aspect kept); the frame itself when it is not wider. */
export function scaleFrame(frame: VideoFrame, widthPx: number): VideoFrame {
  if (widthPx >= frame.widthPx) return frame;
  const w = Math.max(2, Math.round(widthPx));
  const h = Math.max(2, Math.round((frame.heightPx * w) / frame.widthPx));
  const out = new Uint8Array(w * h * 3);
  const src = frame.data;
  const sw = frame.widthPx;
  let o = 0;
  for (let oy = 0; oy < h; oy++) {
    const y0 = Math.floor((oy * frame.heightPx) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * frame.heightPx) / h));
    for (let ox = 0; ox < w; ox++) {
      const x0 = Math.floor((ox * sw) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * sw) / w));
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * sw + x) * 3;
          r += src[i]!;
          g += src[i + 1]!;
          b += src[i + 2]!;
          n++;
        }
      }
      out[o++] = Math.round(r / n);
      out[o++] = Math.round(g / n);
      out[o++] = Math.round(b / n);
    }
  }
  return videoFrame(out, w, h, frame.capturedAtMs);
}
