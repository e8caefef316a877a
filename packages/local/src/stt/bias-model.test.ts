import { describe, expect, it } from "vitest";
import { offlineResponderPhrases } from "../llm/phrases.js";
import { buildArpa, phraseWords } from "./bias-model.js";

/** log10 probabilities of the n-grams of one order, by n-gram. */
function section(arpa: string, order: number): Map<string, number> {
  const body = arpa.split(`\\${order}-grams:\n`)[1]?.split("\n\n")[0] ?? "";
  const out = new Map<string, number>();
  for (const line of body.split("\n")) {
    const [p, ...rest] = line.split(" ");
    out.set(rest.slice(0, order).join(" "), Number(p));
  }
  return out;
}

describe("buildArpa", () => {
  it("writes a trigram model whose seen continuations leave mass for backoff", () => {
    const arpa = buildArpa(["what time is it", "what day is it", "what is the date"]);
    expect(arpa).toMatch(/^\\data\\\nngram 1=\d+\nngram 2=\d+\nngram 3=\d+/);
    const bigrams = section(arpa, 2);
    const afterWhat = ["what time", "what day", "what is"].map((k) => 10 ** (bigrams.get(k) ?? -99));
    const total = afterWhat.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0.4);
    expect(total).toBeLessThan(1);
    expect(section(arpa, 3).has("what time is")).toBe(true);
    expect(arpa.trimEnd().endsWith("\\end\\")).toBe(true);
  });

  it("reads phrases as the dictionary writes words", () => {
    expect(phraseWords("What's the Date, today?")).toEqual(["what's", "the", "date", "today"]);
  });

  it("covers the offline responder's questions", () => {
    const phrases = offlineResponderPhrases();
    expect(phrases).toContain("what is the date today");
    expect(phrases.some((p) => p.startsWith("what is forty eight divided by"))).toBe(true);
    expect(section(buildArpa(phrases), 2).has("divided by")).toBe(true);
  });
});
