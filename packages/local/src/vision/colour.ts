// Colour names for what the camera shows: the mean of a region, named by hue, saturation and
// brightness the way a person would say it (red, dark blue, light grey...).
import type { VideoFrame } from "callwright";

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Mean RGB of a region of the frame (clamped to it); undefined when the region is empty. */
export function meanColour(frame: VideoFrame, region: Region): [number, number, number] | undefined {
  const x0 = Math.max(0, Math.floor(region.x));
  const y0 = Math.max(0, Math.floor(region.y));
  const x1 = Math.min(frame.widthPx, Math.ceil(region.x + region.width));
  const y1 = Math.min(frame.heightPx, Math.ceil(region.y + region.height));
  if (x1 - x0 < 2 || y1 - y0 < 2) return undefined;
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * frame.widthPx + x) * 3;
      r += frame.data[i]!;
      g += frame.data[i + 1]!;
      b += frame.data[i + 2]!;
      n++;
    }
  }
  return [r / n, g / n, b / n];
}

/** A plain English name for an RGB colour. */
export function colourName([r, g, b]: [number, number, number]): string {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const value = max / 255;
  const saturation = max === 0 ? 0 : (max - min) / max;
  // Dark but clearly tinted (a navy top in a dim room) is a dark colour, not black.
  if (value < 0.1 || (value < 0.18 && saturation < 0.35)) return "black";
  if (saturation < 0.18) {
    return value > 0.85 ? "white" : value > 0.6 ? "light grey" : value > 0.35 ? "grey" : "dark grey";
  }
  let hue: number;
  if (max === r) hue = (60 * ((g - b) / (max - min)) + 360) % 360;
  else if (max === g) hue = 60 * ((b - r) / (max - min)) + 120;
  else hue = 60 * ((r - g) / (max - min)) + 240;
  let name: string;
  if (hue < 15 || hue >= 340) name = "red";
  else if (hue < 40) name = value < 0.55 && saturation > 0.4 ? "brown" : "orange";
  else if (hue < 68) name = "yellow";
  else if (hue < 160) name = "green";
  else if (hue < 195) name = "teal";
  else if (hue < 255) name = "blue";
  else if (hue < 290) name = "purple";
  else name = "pink";
  if (name === "red" && saturation < 0.5 && value > 0.7) name = "pink";
  if (value < 0.4 && name !== "brown") return `dark ${name}`;
  if (saturation < 0.4 && value > 0.75) return `light ${name}`;
  return name;
}
