// The audio frame every plugin hands in or out: 16-bit PCM, its rate and channels in the type.

/**
 * One chunk of 16-bit PCM audio. Samples are interleaved when `channels` > 1. The sample rate and
 * channel count are part of the type, so a 16 kHz mono frame cannot be handed where 48 kHz is
 * expected without the compiler noticing (use `AudioFrame` for "any rate").
 *
 * Frames are views: `samples` may share its buffer with a larger one. Producers must not reuse a
 * buffer after handing a frame on; consumers must not write into a frame they did not create.
 */
export interface AudioFrame<Rate extends number = number, Channels extends number = number> {
  readonly samples: Int16Array;
  readonly sampleRateHz: Rate;
  readonly channels: Channels;
}

/** Mono 16 kHz: what VAD and STT take. */
export type Pcm16kMono = AudioFrame<16000, 1>;
/** Mono 48 kHz: what WebRTC's Opus decodes to. */
export type Pcm48kMono = AudioFrame<48000, 1>;

export function audioFrame<Rate extends number, Channels extends number = 1>(
  samples: Int16Array,
  sampleRateHz: Rate,
  channels: Channels = 1 as Channels,
): AudioFrame<Rate, Channels> {
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
    throw new RangeError(`sampleRateHz must be a positive integer, got ${sampleRateHz}`);
  }
  if (!Number.isInteger(channels) || channels <= 0) {
    throw new RangeError(`channels must be a positive integer, got ${channels}`);
  }
  if (samples.length % channels !== 0) {
    throw new RangeError(`${samples.length} samples do not divide into ${channels} channels`);
  }
  return { samples, sampleRateHz, channels };
}

/** Samples per channel. */
export function frameLength(frame: AudioFrame): number {
  return frame.samples.length / frame.channels;
}

/** Duration of the frame in milliseconds. */
export function frameDurationMs(frame: AudioFrame): number {
  return (frameLength(frame) * 1000) / frame.sampleRateHz;
}

/** Root-mean-square level of the frame, 0..1 of full scale. */
export function frameRms(frame: AudioFrame): number {
  const s = frame.samples;
  if (s.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const v = s[i]! / 32768;
    sum += v * v;
  }
  return Math.sqrt(sum / s.length);
}
