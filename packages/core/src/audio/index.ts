// Audio primitives: PCM16 frames typed by rate and channels, resampling, framing, WAV.
// Everything here is synchronous and allocation-light: it runs on every 20 ms frame.
export {
  type AudioFrame,
  audioFrame,
  frameDurationMs,
  frameLength,
  frameRms,
  type Pcm16kMono,
  type Pcm48kMono,
} from "@callwright/spec";
export { Framer, type FramerOptions } from "./framer.js";
export { toMono } from "./mono.js";
export {
  defaultResamplerQualityOptions,
  Resampler,
  type ResamplerOptions,
  type ResamplerQualityOptions,
  resample,
} from "./resample.js";
export { readWav, writeWav } from "./wav.js";
