import { describe, expect, it } from "vitest";
import { SentenceSplitter, speakableText } from "./sentence-splitter.js";

function split(deltas: string[], options = {}): string[] {
  const s = new SentenceSplitter(options);
  const out = deltas.flatMap((d) => s.push(d));
  const rest = s.flush();
  return rest === undefined ? out : [...out, rest];
}

describe("SentenceSplitter", () => {
  it("emits each sentence as soon as the whitespace after it arrives", () => {
    const s = new SentenceSplitter();
    expect(s.push("Hello there, friend")).toEqual([]);
    expect(s.push(". How are")).toEqual(["Hello there, friend."]);
    expect(s.push(" you today? I")).toEqual(["How are you today?"]);
    expect(s.flush()).toBe("I");
  });

  it("splits token by token exactly as it splits the whole text", () => {
    const text =
      'It is 21.5 degrees in Paris. Dr. Smith said "bring a coat!" Then leave. Really? Yes…  Done.';
    const whole = split([text]);
    const tokens = split(text.split(/(?<=\s)|(?=\s)/));
    const chars = split([...text]);
    expect(whole).toEqual([
      "It is 21.5 degrees in Paris.",
      'Dr. Smith said "bring a coat!"',
      "Then leave.",
      "Really? Yes…",
      "Done.",
    ]);
    expect(tokens).toEqual(whole);
    expect(chars).toEqual(whole);
  });

  it("does not split after abbreviations or initials", () => {
    expect(split(["Ask Mr. J. R. Smith, e.g. tomorrow. Bye now friend."])).toEqual([
      "Ask Mr. J. R. Smith, e.g. tomorrow.",
      "Bye now friend.",
    ]);
  });

  it("joins very short sentences with the next, and splits on line breaks", () => {
    expect(split(["Sure! Here is the list:\n- one\n- two"])).toEqual([
      "Sure! Here is the list:",
      "- one",
      "- two",
    ]);
  });

  it("cuts a run-on sentence at a pause", () => {
    const long = `${"word ".repeat(30)}and then, ${"more ".repeat(40)}end.`;
    const out = split([long], { maxSentenceChars: 100 });
    expect(out.length).toBeGreaterThan(2);
    for (const s of out) expect(s.length).toBeLessThanOrEqual(100);
    expect(out.join(" ").replace(/\s+/g, " ")).toBe(long.trim().replace(/\s+/g, " "));
  });
});

describe("speakableText", () => {
  it("drops markdown a TTS would read out", () => {
    expect(speakableText("## Weather\n- **Paris**: `21°C`, see [here](http://x)")).toBe(
      "Weather Paris: 21°C, see here",
    );
  });
});
