// Text for a streaming TTS, as the LLM writes it: whole words only, markdown removed; and the
// word arithmetic that maps what was heard (from the TTS's timings) back to what was written.
import type { TtsTiming } from "@callwright/spec";
import { speakableText } from "./sentence-splitter.js";

/**
 * Cleans streamed LLM text for a TTS that takes text as it is written. Only whole words go out
 * (markdown cut mid-word would be read aloud), held back while a link or code block is open; each
 * chunk ends with a space, as streaming TTS APIs expect.
 */
export class SpeakableChunker {
  #buffer = "";

  /** Adds streamed text; returns the speakable text it completed ("" when none yet). */
  push(text: string): string {
    this.#buffer += text;
    if (/```/.test(this.#buffer) && (this.#buffer.match(/```/g)?.length ?? 0) % 2 === 1) return "";
    const open = this.#buffer.lastIndexOf("[");
    if (open >= 0 && !/\]\([^)]*\)/.test(this.#buffer.slice(open)) && this.#buffer.length - open < 300) {
      return this.#take(open);
    }
    const cut = lastWhitespace(this.#buffer);
    return cut <= 0 ? "" : this.#take(cut);
  }

  /** The rest (end of an LLM step, or of the reply). */
  flush(): string {
    return this.#take(this.#buffer.length);
  }

  #take(end: number): string {
    const ready = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end);
    const words = speakableText(ready);
    return words === "" ? "" : `${words} `;
  }
}

function lastWhitespace(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (/\s/.test(text[i]!)) return i + 1;
  return -1;
}

/** Number of words in `text`. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * Whole words whose speech had ended by `playedMs` (ms since the stream's first audio), from a
 * TTS's timings in order: a word still being spoken does not count.
 */
export function wordsHeard(timings: readonly TtsTiming[], playedMs: number): number {
  let text = "";
  let complete = true;
  for (const t of timings) {
    if (t.endMs > playedMs) {
      // The word in progress is cut unless this piece starts a new one.
      complete = /^\s/.test(t.text);
      break;
    }
    text += t.text;
  }
  const words = countWords(text);
  return complete || /\s$/.test(text) ? words : Math.max(0, words - 1);
}

/** The start of `text` (as written) whose speakable form is `words` words long. */
export function writtenPrefix(text: string, words: number): string {
  if (words <= 0) return "";
  let count = 0;
  const word = /\S+/g;
  for (let m = word.exec(text); m !== null; m = word.exec(text)) {
    count += countWords(speakableText(m[0]));
    if (count >= words) return text.slice(0, m.index + m[0].length);
  }
  return text;
}
