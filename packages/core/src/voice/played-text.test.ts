import { describe, expect, it } from "vitest";
import { playedPrefix } from "./played-text.js";

describe("playedPrefix", () => {
  const text = "The weather in Paris is sunny today.";
  it("keeps the words whose end was played", () => {
    expect(playedPrefix(text, 0)).toBe("");
    expect(playedPrefix(text, 0.5)).toBe("The weather in");
    expect(playedPrefix(text, 0.56)).toBe("The weather in Paris");
    expect(playedPrefix(text, 0.99)).toBe("The weather in Paris is sunny");
    expect(playedPrefix(text, 1)).toBe(text);
  });
  it("drops a word cut in its middle", () => {
    expect(playedPrefix("Hello there", 0.3)).toBe("");
    expect(playedPrefix("Hello there", 0.5)).toBe("Hello");
  });
});
