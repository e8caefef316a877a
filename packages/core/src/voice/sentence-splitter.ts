/** How streamed LLM text is cut into sentences for TTS. */
export interface SentenceSplitterOptions {
  /** A sentence shorter than this is joined with the next ("Sure!" + "Here it is."). Default 10. */
  minSentenceChars: number;
  /** A sentence longer than this is cut at its last comma, semicolon or space. Default 300. */
  maxSentenceChars: number;
}

export const defaultSentenceSplitterOptions = {
  minSentenceChars: 10,
  maxSentenceChars: 300,
} as const satisfies SentenceSplitterOptions;

/** Words after which a period does not end a sentence. */
const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sr",
  "jr",
  "st",
  "vs",
  "etc",
  "e.g",
  "i.e",
  "approx",
  "no",
  "fig",
  "inc",
  "ltd",
  "co",
  "mt",
]);

const CLOSERS = new Set(['"', "'", ")", "]", "”", "’", "»"]);

/**
 * Cuts streamed text into sentences as soon as each is complete, so TTS can start speaking the
 * first while the LLM is still writing the rest. A sentence ends at `.`, `!`, `?` or `…` (and
 * any closing quotes or brackets) followed by whitespace, or at a line break; not after common
 * abbreviations ("Dr.", "e.g.") or single-letter initials ("J. Smith").
 */
export class SentenceSplitter {
  readonly options: SentenceSplitterOptions;
  #buffer = "";
  /** Where to resume scanning in `#buffer`. */
  #scanFrom = 0;

  constructor(options: Partial<SentenceSplitterOptions> = {}) {
    this.options = { ...defaultSentenceSplitterOptions, ...options };
  }

  /** Adds streamed text; returns the sentences it completed (possibly none). */
  push(text: string): string[] {
    this.#buffer += text;
    const out: string[] = [];
    let start = 0;
    const b = this.#buffer;
    for (let i = Math.max(this.#scanFrom, 1); i < b.length; i++) {
      const c = b[i]!;
      if (!/\s/.test(c)) continue;
      const boundary = this.#isBoundary(b, start, i);
      if (!boundary) continue;
      const sentence = b.slice(start, i).trim();
      if (sentence.length >= this.options.minSentenceChars || c === "\n") {
        if (sentence.length > 0) out.push(...this.#cutLong(sentence));
        start = i + 1;
      }
    }
    this.#buffer = b.slice(start);
    this.#scanFrom = Math.max(0, this.#buffer.length);
    // A run-on "sentence" with no end in sight: cut it at a pause so TTS can start.
    while (this.#buffer.length > this.options.maxSentenceChars) {
      const cut = lastPause(this.#buffer, this.options.maxSentenceChars);
      out.push(this.#buffer.slice(0, cut).trim());
      this.#buffer = this.#buffer.slice(cut);
      this.#scanFrom = this.#buffer.length;
    }
    return out.filter((s) => s.length > 0);
  }

  /** The text left over at the end of the stream (undefined if only whitespace). */
  flush(): string | undefined {
    const rest = this.#buffer.trim();
    this.#buffer = "";
    this.#scanFrom = 0;
    return rest.length > 0 ? rest : undefined;
  }

  /** Is the whitespace at `i` the end of a sentence that began at `start`? */
  #isBoundary(b: string, start: number, i: number): boolean {
    if (b[i] === "\n") return true;
    let j = i - 1;
    while (j > start && CLOSERS.has(b[j]!)) j--;
    const p = b[j];
    if (p === "!" || p === "?" || p === "…") return true;
    if (p !== ".") return false;
    // The word before the period.
    let w = j - 1;
    while (w >= start && !/\s/.test(b[w]!)) w--;
    const word = b
      .slice(w + 1, j)
      .replace(/^[("'“‘]+/, "")
      .toLowerCase();
    if (word.length === 1 && /[a-z]/.test(word)) return false; // an initial
    return !ABBREVIATIONS.has(word);
  }

  #cutLong(sentence: string): string[] {
    const out: string[] = [];
    let rest = sentence;
    while (rest.length > this.options.maxSentenceChars) {
      const cut = lastPause(rest, this.options.maxSentenceChars);
      out.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest.length > 0) out.push(rest);
    return out;
  }
}

/** Index just after the last comma/semicolon/colon (else space) before `limit`. */
function lastPause(text: string, limit: number): number {
  const head = text.slice(0, limit);
  const punct = Math.max(head.lastIndexOf(", "), head.lastIndexOf("; "), head.lastIndexOf(": "));
  if (punct > limit / 3) return punct + 1;
  const space = head.lastIndexOf(" ");
  return space > 0 ? space + 1 : limit;
}

/**
 * The words of `text` a TTS should say: markdown emphasis, code ticks, headings and list
 * bullets removed (LLMs write them even when told not to).
 */
export function speakableText(text: string): string {
  return text
    .replace(/```[^`]*```/g, " ")
    .replace(/[*_`~]+/g, "")
    .replace(/^\s{0,3}#{1,6}\s+/gm, "")
    .replace(/^\s*[-•]\s+/gm, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}
