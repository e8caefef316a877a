// ElevenLabs' character alignment → the spec's timings. Each audio message carries the times of
// its characters in ms from *that message's* first sample; a reply's timings are in ms from the
// reply's first sample, so each message's times are shifted by the audio yielded before it.
import type { TtsTiming } from "@callwright/spec";
import type { WireAlignment } from "./wire.js";

/**
 * The characters of one audio message as words, each with the blanks around it in the message
 * (a word split between two messages comes as two runs), timed from its first visible character
 * to the end of its last one and shifted by `offsetMs` (the audio yielded before this message).
 * Joined, the runs give the message's text back (a message of blanks only gives none).
 * Returns [] when the alignment is missing or its arrays disagree in length.
 */
export function alignmentTimings(alignment: WireAlignment | null | undefined, offsetMs: number): TtsTiming[] {
  const chars = alignment?.chars;
  const starts = alignment?.charStartTimesMs;
  const durations = alignment?.charDurationsMs ?? alignment?.charsDurationsMs;
  if (chars === undefined || starts === undefined || durations === undefined) return [];
  if (chars.length !== starts.length || chars.length !== durations.length) return [];
  const timings: TtsTiming[] = [];
  let text = "";
  let startMs: number | undefined;
  let endMs = 0;
  const close = () => {
    if (startMs !== undefined) timings.push({ text, startMs: offsetMs + startMs, endMs: offsetMs + endMs });
    text = "";
    startMs = undefined;
  };
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    const blank = char.trim() === "";
    // A visible character after a word and its blanks starts the next word.
    if (!blank && startMs !== undefined && /\s$/.test(text)) close();
    text += char;
    if (blank) continue;
    startMs ??= starts[i]!;
    endMs = starts[i]! + durations[i]!;
  }
  close();
  return timings;
}
