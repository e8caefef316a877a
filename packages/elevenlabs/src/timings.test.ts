import { describe, expect, it } from "vitest";
import { alignmentTimings } from "./timings.js";

const align = (text: string, starts: number[], durations: number[]) => ({
  chars: Array.from(text),
  charStartTimesMs: starts,
  charsDurationsMs: durations,
});

describe("alignmentTimings", () => {
  it("turns one message's characters into words timed on the reply's timeline", () => {
    // "Hi you" in a message that starts 1000 ms into the reply; times count from the message.
    const timings = alignmentTimings(
      align("Hi you", [0, 50, 100, 140, 190, 240], [50, 50, 40, 50, 50, 60]),
      1000,
    );
    expect(timings).toEqual([
      { text: "Hi ", startMs: 1000, endMs: 1100 },
      { text: "you", startMs: 1140, endMs: 1300 },
    ]);
  });

  it("keeps leading blanks with the first word, so the runs join back into the text", () => {
    const timings = alignmentTimings(align(" a b ", [0, 10, 20, 30, 40], [10, 10, 10, 10, 10]), 0);
    expect(timings.map((t) => t.text).join("")).toBe(" a b ");
    expect(timings[0]).toEqual({ text: " a ", startMs: 10, endMs: 20 });
  });

  it("reads the documented spelling `charDurationsMs` too", () => {
    const timings = alignmentTimings(
      { chars: ["o", "k"], charStartTimesMs: [0, 30], charDurationsMs: [30, 30] },
      5,
    );
    expect(timings).toEqual([{ text: "ok", startMs: 5, endMs: 65 }]);
  });

  it("gives nothing for a missing or inconsistent alignment, or blanks only", () => {
    expect(alignmentTimings(undefined, 0)).toEqual([]);
    expect(alignmentTimings(null, 0)).toEqual([]);
    expect(
      alignmentTimings({ chars: ["a", "b"], charStartTimesMs: [0], charDurationsMs: [1, 1] }, 0),
    ).toEqual([]);
    expect(alignmentTimings(align("  ", [0, 10], [10, 10]), 0)).toEqual([]);
  });
});
