import { type AudioFrame, audioFrame } from "@callwright/spec";

/** The frame itself when mono; otherwise the average of its channels (a new frame). */
export function toMono<Rate extends number>(frame: AudioFrame<Rate>): AudioFrame<Rate, 1> {
  if (frame.channels === 1) return frame as AudioFrame<Rate, 1>;
  const channels = frame.channels;
  const length = frame.samples.length / channels;
  const out = new Int16Array(length);
  const input = frame.samples;
  for (let i = 0, j = 0; i < length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += input[j++]!;
    out[i] = Math.round(sum / channels);
  }
  return audioFrame(out, frame.sampleRateHz);
}
