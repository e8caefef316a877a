import { describe, expect, it } from "vitest";
import { countWords, SpeakableChunker, wordsHeard, writtenPrefix } from "./streamed-text.js";

describe("SpeakableChunker", () => {
  it("lets only whole words out, without markdown, each piece ending in a space", () => {
    const c = new SpeakableChunker();
    expect(c.push("Hel")).toBe("");
    expect(c.push("lo **wor")).toBe("Hello ");
    expect(c.push("ld** and")).toBe("world ");
    expect(c.push(" more")).toBe("and ");
    expect(c.flush()).toBe("more ");
    expect(c.flush()).toBe("");
  });

  it("holds a link or a code block until it closes, then says only its words", () => {
    const c = new SpeakableChunker();
    expect(c.push("See [the ")).toBe("See ");
    expect(c.push("docs](https://x.y/z) now")).toBe("the docs ");
    expect(c.push(" ```js\ncode here ")).toBe("");
    expect(c.push("``` done ")).toBe("now done ");
  });
});

describe("word arithmetic", () => {
  const timings = [
    { text: "It ", startMs: 0, endMs: 100 },
    { text: "is ", startMs: 150, endMs: 250 },
    { text: "late.", startMs: 300, endMs: 500 },
  ];

  it("counts the words whose speech had ended", () => {
    expect(wordsHeard(timings, 99)).toBe(0);
    expect(wordsHeard(timings, 260)).toBe(2);
    expect(wordsHeard(timings, 500)).toBe(3);
  });

  it("does not count a word cut in the middle, with character timings", () => {
    const chars = [..."hi there"].map((ch, i) => ({ text: ch, startMs: i * 10, endMs: i * 10 + 10 }));
    expect(wordsHeard(chars, 20)).toBe(1); // "hi" then the space: "hi" was heard
    expect(wordsHeard(chars, 50)).toBe(1); // "th" of "there" is not a word heard
    expect(wordsHeard(chars, 80)).toBe(2);
  });

  it("maps heard words back to the text as written, markdown and all", () => {
    expect(writtenPrefix("It is **really** late, she said.", 3)).toBe("It is **really**");
    expect(writtenPrefix("It is late.", 0)).toBe("");
    expect(writtenPrefix("It is late.", 9)).toBe("It is late.");
    expect(countWords("  a b\nc ")).toBe(3);
  });
});
