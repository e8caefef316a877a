// Test speech made with flite at test time (pocketsphinx reads flite's voices; it cannot read
// espeak-ng's), with the true speech boundaries taken from flite's own segmentation.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { readWav } from "callwright";

const run = promisify(execFile);

/** The research note's four sentences (40 words). */
export const sentences = [
  "What is the weather like in Paris today?",
  "Please book a table for two at seven o'clock tonight.",
  "I would like to cancel my order and get a refund.",
  "Can you tell me how long the flight to London takes?",
] as const;

export interface Speech {
  text: string;
  /** 16 kHz mono. */
  samples: Int16Array;
  /** Where flite's leading pause ends and its trailing pause starts, in ms from the start. */
  speechStartMs: number;
  speechEndMs: number;
}

/** Speaks `text` with a flite voice (kal16 or slt: both 16 kHz). */
export async function fliteSpeech(text: string, voice: "kal16" | "slt"): Promise<Speech> {
  const dir = await mkdtemp(join(tmpdir(), "callwright-speech-"));
  try {
    const textFile = join(dir, "text.txt");
    const wavFile = join(dir, "speech.wav");
    await writeFile(textFile, text);
    // -psdur prints "segment:end_s" for every segment; the first and last are the pauses.
    const { stdout } = await run("flite", ["-voice", voice, "-psdur", "-f", textFile, "-o", wavFile]);
    const segments = stdout
      .trim()
      .split(/\s+/)
      .map((s) => {
        const [name, end] = s.split(":");
        return { name: name!, endMs: Number(end) * 1000 };
      });
    const { samples, sampleRateHz, channels } = readWav(await readFile(wavFile));
    if (sampleRateHz !== 16000 || channels !== 1) throw new Error(`flite ${voice} is not 16 kHz mono`);
    const first = segments[0]!;
    const beforeLast = segments.at(-2)!;
    return {
      text,
      samples,
      speechStartMs: first.name === "pau" ? first.endMs : 0,
      speechEndMs: segments.at(-1)!.name === "pau" ? beforeLast.endMs : (samples.length / 16000) * 1000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Silence, then each speech followed by silence; returns the audio and the true speech spans. */
export function padded(
  speeches: readonly Speech[],
  silenceMs: number,
): { samples: Int16Array; spans: { startMs: number; endMs: number }[] } {
  const silence = (silenceMs * 16000) / 1000;
  let length = silence;
  for (const s of speeches) length += s.samples.length + silence;
  const samples = new Int16Array(length);
  const spans: { startMs: number; endMs: number }[] = [];
  let at = silence;
  for (const s of speeches) {
    samples.set(s.samples, at);
    const offsetMs = (at / 16000) * 1000;
    spans.push({ startMs: offsetMs + s.speechStartMs, endMs: offsetMs + s.speechEndMs });
    at += s.samples.length + silence;
  }
  return { samples, spans };
}

/** Word error rate of `hypothesis` against `reference`, both normalised to lower-case words. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const words = (t: string) =>
    t
      .toLowerCase()
      .replace(/[^a-z' ]/g, " ")
      .split(/\s+/)
      .filter(Boolean);
  const r = words(reference);
  const h = words(hypothesis);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return { errors: prev[h.length]!, words: r.length };
}
