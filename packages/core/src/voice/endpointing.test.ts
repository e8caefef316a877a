import { describe, expect, it } from "vitest";
import { FakeClock } from "../testing/fake-clock.js";
import {
  defaultEndpointingOptions,
  type EndOfTurnReason,
  Endpointing,
  type TurnDetector,
} from "./endpointing.js";

function setup(detector?: TurnDetector) {
  const clock = new FakeClock(0);
  const ends: { reason: EndOfTurnReason; atMs: number }[] = [];
  const endpointing = new Endpointing({
    options: defaultEndpointingOptions,
    clock,
    detector,
    history: () => [],
    onEndOfTurn: (reason) => ends.push({ reason, atMs: clock.now() }),
    onError: (error) => {
      throw error;
    },
  });
  return { clock, ends, endpointing };
}

describe("Endpointing", () => {
  it("ends the turn 500 ms after the last voiced frame once the transcript is final", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    await clock.advance(1000);
    endpointing.speechEnded(1000);
    endpointing.transcriptUpdated("hello", true);
    await clock.advance(499);
    expect(ends).toEqual([]);
    await clock.advance(1);
    expect(ends).toEqual([{ reason: "silence", atMs: 1500 }]);
  });

  it("ends at once when the transcript arrives after the min delay (speech end is learnt late)", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    await clock.advance(1550);
    endpointing.speechEnded(1000); // the VAD knows only after its 550 ms min silence
    expect(ends).toEqual([]);
    await clock.advance(120);
    endpointing.transcriptUpdated("hello there", true);
    expect(ends).toEqual([{ reason: "silence", atMs: 1670 }]);
  });

  it("waits for the transcript, up to the max delay", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    endpointing.speechEnded(0);
    endpointing.transcriptUpdated("hel", false);
    await clock.advance(2999);
    expect(ends).toEqual([]);
    await clock.advance(1);
    expect(ends).toEqual([{ reason: "max_delay", atMs: 3000 }]);
  });

  it("does not end while the user speaks again, and counts from the new speech end", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    endpointing.speechEnded(0);
    endpointing.transcriptUpdated("book a table", true);
    await clock.advance(300);
    endpointing.speechStarted();
    await clock.advance(5000);
    expect(ends).toEqual([]);
    endpointing.speechEnded(5300);
    endpointing.transcriptUpdated("book a table for two", true);
    await clock.advance(500);
    expect(ends).toEqual([{ reason: "silence", atMs: 5800 }]);
  });

  it("lets a turn detector end the turn early, or hold it up to the max delay", async () => {
    const sure: TurnDetector = { name: "sure", endOfTurnDelayMs: async () => 0 };
    const a = setup(sure);
    a.endpointing.speechStarted();
    a.endpointing.speechEnded(0);
    a.endpointing.transcriptUpdated("what time is it?", true);
    await a.clock.advance(1);
    expect(a.ends).toEqual([{ reason: "turn_detector", atMs: 0 }]);

    const unsure: TurnDetector = { name: "unsure", endOfTurnDelayMs: () => 10_000 };
    const b = setup(unsure);
    b.endpointing.speechStarted();
    b.endpointing.speechEnded(0);
    b.endpointing.transcriptUpdated("I'd like to", true);
    await b.clock.advance(2000);
    expect(b.ends).toEqual([]);
    await b.clock.advance(1000);
    expect(b.ends[0]!.atMs).toBe(3000);
  });

  it("fires once, holds no timer after it fired or was reset", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    endpointing.speechEnded(0);
    endpointing.transcriptUpdated("hi", true);
    await clock.advance(5000);
    expect(ends).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    endpointing.reset();
    endpointing.speechStarted();
    endpointing.speechEnded(5000);
    expect(clock.pendingTimers).toBe(1);
    endpointing.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
