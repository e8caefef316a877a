// Audio primitives: PCM16 frames typed by rate and channels, resampling, framing, WAV.
export {
  type AudioFrame,
  audioFrame,
  frameDurationMs,
  frameLength,
  frameRms,
  type Pcm16kMono,
  type Pcm48kMono,
} from "./frame.js";
