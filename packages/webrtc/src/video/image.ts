// Pictures between the codec and the consumer: the decoder's I420 (planar YUV 4:2:0, BT.601
// limited range, as WebRTC sends) to packed RGB at the size a consumer asked for, and back.

/** A planar YUV 4:2:0 picture, planes packed (no row padding). */
export interface I420Image {
  widthPx: number;
  heightPx: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

/** The size a picture of `widthPx`×`heightPx` gets when scaled to `targetWidthPx` (never enlarged, even sizes). */
export function scaledSize(
  widthPx: number,
  heightPx: number,
  targetWidthPx: number | undefined,
): { widthPx: number; heightPx: number } {
  if (targetWidthPx === undefined || targetWidthPx >= widthPx) return { widthPx, heightPx };
  const w = Math.max(2, Math.round(targetWidthPx));
  return { widthPx: w, heightPx: Math.max(2, Math.round((heightPx * w) / widthPx)) };
}

const clamp = (v: number): number => Math.min(255, Math.max(0, v));

/**
 * Converts an I420 picture to packed RGB, scaled to `targetWidthPx` wide (aspect kept, never
 * enlarged) by averaging the source pixels each output pixel covers (a box filter, so a small
 * picture keeps the colours of the large one).
 */
export function i420ToRgb(
  image: I420Image,
  targetWidthPx?: number,
): { widthPx: number; heightPx: number; data: Uint8Array } {
  const { widthPx: sw, heightPx: sh } = image;
  const { widthPx: w, heightPx: h } = scaledSize(sw, sh, targetWidthPx);
  const out = new Uint8Array(w * h * 3);
  const cw = (sw + 1) >> 1;
  const { y: Y, u: U, v: V } = image;
  const xStarts = new Int32Array(w + 1);
  for (let x = 0; x <= w; x++) xStarts[x] = Math.min(sw, Math.floor((x * sw) / w));
  let o = 0;
  for (let oy = 0; oy < h; oy++) {
    const y0 = Math.floor((oy * sh) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * sh) / h));
    for (let ox = 0; ox < w; ox++) {
      const x0 = xStarts[ox]!;
      const x1 = Math.max(x0 + 1, xStarts[ox + 1]!);
      let ys = 0;
      let us = 0;
      let vs = 0;
      let n = 0;
      for (let sy = y0; sy < y1; sy++) {
        const row = sy * sw;
        const crow = (sy >> 1) * cw;
        for (let sx = x0; sx < x1; sx++) {
          ys += Y[row + sx]!;
          us += U[crow + (sx >> 1)]!;
          vs += V[crow + (sx >> 1)]!;
          n++;
        }
      }
      const c = 1.164 * (ys / n - 16);
      const d = us / n - 128;
      const e = vs / n - 128;
      out[o++] = clamp(Math.round(c + 1.596 * e));
      out[o++] = clamp(Math.round(c - 0.392 * d - 0.813 * e));
      out[o++] = clamp(Math.round(c + 2.017 * d));
    }
  }
  return { widthPx: w, heightPx: h, data: out };
}

/** Converts packed RGB to I420 of `widthPx`×`heightPx` (even sizes), scaling by nearest pixel. */
export function rgbToI420(
  rgb: { widthPx: number; heightPx: number; data: Uint8Array },
  widthPx: number = rgb.widthPx,
  heightPx: number = rgb.heightPx,
): I420Image {
  const cw = (widthPx + 1) >> 1;
  const ch = (heightPx + 1) >> 1;
  const y = new Uint8Array(widthPx * heightPx);
  const u = new Uint8Array(cw * ch);
  const v = new Uint8Array(cw * ch);
  const src = rgb.data;
  for (let oy = 0; oy < heightPx; oy++) {
    const sy = Math.min(rgb.heightPx - 1, Math.floor((oy * rgb.heightPx) / heightPx));
    for (let ox = 0; ox < widthPx; ox++) {
      const sx = Math.min(rgb.widthPx - 1, Math.floor((ox * rgb.widthPx) / widthPx));
      const i = (sy * rgb.widthPx + sx) * 3;
      const r = src[i]!;
      const g = src[i + 1]!;
      const b = src[i + 2]!;
      y[oy * widthPx + ox] = clamp(Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b));
      if ((oy & 1) === 0 && (ox & 1) === 0) {
        const ci = (oy >> 1) * cw + (ox >> 1);
        u[ci] = clamp(Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b));
        v[ci] = clamp(Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b));
      }
    }
  }
  return { widthPx, heightPx, y, u, v };
}
