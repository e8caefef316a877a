// A small trigram language model, in ARPA text, built from the phrases an application expects
// ("what time is it", "what is nine plus six"). The STT interpolates it with the general English
// model, so the recognizer leans toward those phrases and still hears anything else.
import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Discount taken from every seen n-gram count (absolute discounting), given to the shorter history. */
const DISCOUNT = 0.5;

/** Lowercase words with apostrophes kept ("what's"), as the pronunciation dictionary has them. */
export function phraseWords(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .replace(/[’]/g, "'")
    .replace(/[^a-z' ]+/g, " ")
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ""))
    .filter((w) => w.length > 0);
}

const log10 = (p: number) => (p > 0 ? Math.log10(p) : -99).toFixed(6);

/**
 * An ARPA trigram model of `phrases` with absolute discounting and backoff. Every sentence is
 * bracketed by `<s>` and `</s>`. Words the recognizer's dictionary lacks should be left out by
 * the caller (the decoder cannot use an n-gram with a word it cannot pronounce).
 */
export function buildArpa(phrases: readonly string[]): string {
  const uni = new Map<string, number>();
  const bi = new Map<string, Map<string, number>>();
  const tri = new Map<string, Map<string, number>>();
  const bump = (table: Map<string, Map<string, number>>, history: string, word: string) => {
    let next = table.get(history);
    if (next === undefined) {
      next = new Map();
      table.set(history, next);
    }
    next.set(word, (next.get(word) ?? 0) + 1);
  };
  for (const phrase of phrases) {
    const words = phraseWords(phrase);
    if (words.length === 0) continue;
    const s = ["<s>", ...words, "</s>"];
    for (let i = 0; i < s.length; i += 1) {
      const w = s[i] as string;
      if (i > 0) uni.set(w, (uni.get(w) ?? 0) + 1);
      if (i >= 1) bump(bi, s[i - 1] as string, w);
      if (i >= 2) bump(tri, `${s[i - 2]} ${s[i - 1]}`, w);
    }
  }
  uni.set("<s>", 0);

  // Unigrams: maximum likelihood (the general model covers every other word).
  const total = [...uni.values()].reduce((a, b) => a + b, 0);
  const pUni = new Map<string, number>();
  for (const [w, c] of uni) pUni.set(w, c / total);

  // Bigrams: discounted, the rest of the mass backs off to the unigrams.
  const pBi = new Map<string, number>();
  const backoffUni = new Map<string, number>();
  for (const [h, next] of bi) {
    const count = [...next.values()].reduce((a, b) => a + b, 0);
    let seenLower = 0;
    for (const [w, c] of next) {
      pBi.set(`${h} ${w}`, (c - DISCOUNT) / count);
      seenLower += pUni.get(w) ?? 0;
    }
    const left = (DISCOUNT * next.size) / count;
    backoffUni.set(h, seenLower < 1 ? left / (1 - seenLower) : 1);
  }

  // Trigrams: the same, backing off to the bigrams (each seen trigram's bigram is seen too).
  const pTri = new Map<string, number>();
  const backoffBi = new Map<string, number>();
  for (const [h, next] of tri) {
    const count = [...next.values()].reduce((a, b) => a + b, 0);
    const last = h.split(" ")[1] as string;
    let seenLower = 0;
    for (const [w, c] of next) {
      pTri.set(`${h} ${w}`, (c - DISCOUNT) / count);
      seenLower += pBi.get(`${last} ${w}`) ?? 0;
    }
    const left = (DISCOUNT * next.size) / count;
    backoffBi.set(h, seenLower < 1 ? left / (1 - seenLower) : 1);
  }

  const lines = ["\\data\\", `ngram 1=${pUni.size}`, `ngram 2=${pBi.size}`, `ngram 3=${pTri.size}`, ""];
  lines.push("\\1-grams:");
  for (const w of [...pUni.keys()].sort()) {
    const p = w === "<s>" ? "-99.000000" : log10(pUni.get(w) as number);
    const b = backoffUni.get(w);
    lines.push(b === undefined ? `${p} ${w}` : `${p} ${w} ${log10(b)}`);
  }
  lines.push("", "\\2-grams:");
  for (const key of [...pBi.keys()].sort()) {
    const b = backoffBi.get(key);
    const p = log10(pBi.get(key) as number);
    lines.push(b === undefined ? `${p} ${key}` : `${p} ${key} ${log10(b)}`);
  }
  lines.push("", "\\3-grams:");
  for (const key of [...pTri.keys()].sort()) lines.push(`${log10(pTri.get(key) as number)} ${key}`);
  lines.push("", "\\end\\", "");
  return lines.join("\n");
}

/** The words of `dictionaryPath` (a CMU-format dictionary: word, then phones; variants as `word(2)`). */
export async function dictionaryWords(dictionaryPath: string): Promise<Set<string>> {
  const text = await readFile(dictionaryPath, "utf8");
  const words = new Set<string>();
  for (const line of text.split("\n")) {
    const word = line.slice(0, line.indexOf(" ")).replace(/\(\d+\)$/, "");
    if (word.length > 0) words.add(word);
  }
  return words;
}

/**
 * Writes the bias model for `phrases` (only those whose every word the dictionary has) to a file
 * named by its content in the temp directory, once, and returns its path.
 */
export async function writeBiasModel(phrases: readonly string[], dictionaryPath: string): Promise<string> {
  const known = await dictionaryWords(dictionaryPath);
  const usable = phrases.filter((p) => {
    const words = phraseWords(p);
    return words.length > 0 && words.every((w) => known.has(w));
  });
  const arpa = buildArpa(usable);
  const hash = createHash("sha256").update(arpa).digest("hex").slice(0, 16);
  const path = join(tmpdir(), `callwright-bias-${hash}.arpa`);
  try {
    await readFile(path, { flag: "r" });
    return path;
  } catch {
    // Written under a unique name, then renamed: a concurrent reader never sees half a file.
    const partial = `${path}.${process.pid}.${Date.now()}`;
    await writeFile(partial, arpa);
    await rename(partial, path);
    return path;
  }
}
