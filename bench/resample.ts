// Resampler speed: microseconds to resample one 20 ms frame, for the conversions the voice
// loop makes (edge 48 kHz → VAD/STT 16 kHz; TTS 24/22.05 kHz → edge 48 kHz). Prints one line.
import { Resampler } from "@callwright/provider-utils";

const FRAMES = 5000;
const cases: [number, number][] = [
  [48000, 16000],
  [24000, 48000],
  [22050, 48000],
  [16000, 48000],
];

const parts: string[] = [];
for (const [inRate, outRate] of cases) {
  const resampler = new Resampler({ inputSampleRateHz: inRate, outputSampleRateHz: outRate });
  const frame = new Int16Array(Math.round(inRate / 50));
  for (let i = 0; i < frame.length; i++)
    frame[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / inRate));
  for (let i = 0; i < 500; i++) resampler.process(frame);
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) resampler.process(frame);
  const usPerFrame = Number(process.hrtime.bigint() - start) / 1000 / FRAMES;
  parts.push(
    `${inRate / 1000}k→${outRate / 1000}k ${usPerFrame.toFixed(1)} µs (${Math.round(20_000 / usPerFrame)}× real time)`,
  );
}
console.log(`resample: per 20 ms mono frame: ${parts.join(", ")}`);
