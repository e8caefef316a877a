// Turns what a speech recognizer (or a person typing) wrote into words and numbers:
// "twenty-five", "one hundred and five", "3.5", "1,000", "two point five" all become numbers.

/** A word of the normalised text, or a number read from one or more words. */
export type Token = { kind: "num"; value: number } | { kind: "word"; text: string };

const UNITS: Readonly<Record<string, number>> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
};
const TEENS: Readonly<Record<string, number>> = {
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Readonly<Record<string, number>> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Readonly<Record<string, number>> = {
  thousand: 1_000,
  million: 1_000_000,
  billion: 1_000_000_000,
  trillion: 1_000_000_000_000,
};
/** Digits as said after "point": "three point one four", "two point oh five". */
const DIGITS: Readonly<Record<string, number>> = { zero: 0, oh: 0, o: 0, ...UNITS };

const DIGIT_TEXT = /^(\d+(\.\d+)?|\.\d+)$/;

/**
 * Lowercases and strips what recognizers never write: punctuation, apostrophes, symbols (which
 * become words: `12*7` → "12 times 7"), thousands separators and hyphens inside words.
 */
export function normalize(text: string): string[] {
  const spaced = text
    .toLowerCase()
    .replace(/[’']/g, "")
    .replace(/(\d),(?=\d{3}\b)/g, "$1")
    .replace(/([a-z])-(?=[a-z])/g, "$1 ")
    .replace(/(\d)\s*x\s*(?=[\d.])/g, "$1 times ")
    .replace(/[*×]/g, " times ")
    .replace(/[/÷]/g, " divided by ")
    .replace(/\+/g, " plus ")
    .replace(/[-−–]/g, " minus ")
    .replace(/\^/g, " to the power of ")
    .replace(/%/g, " percent ")
    .replace(/=/g, " equals ")
    .replace(/\.(?!\d)/g, " ")
    .replace(/[^a-z0-9.:\s]/g, " ");
  return spaced.split(/\s+/).filter((w) => w.length > 0);
}

/** Reads numbers out of normalised words; everything else stays a word. */
export function tokenize(words: readonly string[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < words.length) {
    const read = readNumber(words, i);
    if (read === undefined) {
      tokens.push({ kind: "word", text: words[i] as string });
      i += 1;
    } else {
      tokens.push({ kind: "num", value: read.value });
      i = read.next;
    }
  }
  return tokens;
}

type Kind = "unit" | "teen" | "tens" | "hundred" | "scale";

/** A number starting at `start`: digits, or a run of number words, with an optional decimal part. */
function readNumber(words: readonly string[], start: number): { value: number; next: number } | undefined {
  const first = words[start] as string;
  if (DIGIT_TEXT.test(first)) {
    let value = Number(first);
    let next = start + 1;
    const scale = SCALES[words[next] ?? ""] ?? (words[next] === "hundred" ? 100 : undefined);
    if (scale !== undefined) {
      value *= scale;
      next += 1;
    }
    return first.includes(".") || scale !== undefined ? { value, next } : withDecimals(words, value, next);
  }
  if (first === "zero") return withDecimals(words, 0, start + 1);
  if (first === "point" && DIGITS[words[start + 1] ?? ""] !== undefined) return withDecimals(words, 0, start);

  let total = 0;
  let current = 0;
  let last: Kind | undefined;
  let j = start;
  if (first === "a" && (words[j + 1] === "hundred" || SCALES[words[j + 1] ?? ""] !== undefined)) {
    current = 1;
    last = "unit";
    j += 1;
  }
  for (; j < words.length; j += 1) {
    const w = words[j] as string;
    const afterBig = last === undefined || last === "hundred" || last === "scale";
    if (UNITS[w] !== undefined && (afterBig || last === "tens")) {
      current += UNITS[w];
      last = "unit";
    } else if (TEENS[w] !== undefined && afterBig) {
      current += TEENS[w];
      last = "teen";
    } else if (TENS[w] !== undefined && afterBig) {
      current += TENS[w];
      last = "tens";
    } else if (
      w === "hundred" &&
      (last === "unit" || last === "teen" || last === "tens") &&
      current % 100 !== 0
    ) {
      current = current - (current % 100) + (current % 100) * 100;
      last = "hundred";
    } else if (SCALES[w] !== undefined && last !== undefined && last !== "scale") {
      total += current * SCALES[w];
      current = 0;
      last = "scale";
    } else if (w === "and" && (last === "hundred" || last === "scale") && isSmallNumberWord(words[j + 1])) {
      // "one hundred and five": the "and" belongs to the number.
    } else {
      break;
    }
  }
  if (last === undefined) return undefined;
  return withDecimals(words, total + current, j);
}

function isSmallNumberWord(word: string | undefined): boolean {
  return (
    word !== undefined && (UNITS[word] !== undefined || TEENS[word] !== undefined || TENS[word] !== undefined)
  );
}

/** Adds "point five", "point two five", "point twenty five" after a whole number. */
function withDecimals(words: readonly string[], whole: number, at: number): { value: number; next: number } {
  if (words[at] !== "point") return { value: whole, next: at };
  let digits = "";
  let j = at + 1;
  while (j < words.length && DIGITS[words[j] as string] !== undefined) {
    digits += String(DIGITS[words[j] as string]);
    j += 1;
  }
  if (digits === "") {
    const after = words[j] ?? "";
    if (DIGIT_TEXT.test(after) && !after.includes(".")) {
      digits = after;
      j += 1;
    } else if (TEENS[after] !== undefined || TENS[after] !== undefined) {
      const read = readNumber(words, j);
      if (read !== undefined) {
        digits = String(read.value);
        j = read.next;
      }
    }
  }
  if (digits === "") return { value: whole, next: at };
  return { value: Number(`${whole}.${digits}`), next: j };
}
