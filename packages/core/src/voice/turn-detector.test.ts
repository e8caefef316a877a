import { describe, expect, it } from "vitest";
import { FakeClock } from "../testing/fake-clock.js";
import { defaultEndpointingOptions, type EndOfTurnDecision, Endpointing } from "./endpointing.js";
import { judgeTranscript, rulesTurnDetector } from "./turn-detector.js";

describe("judgeTranscript", () => {
  it.each([
    ["what time is it", "complete"],
    ["what is twelve times seven", "complete"],
    ["tell me the time", "complete"],
    ["yes", "complete"],
    ["thank you", "complete"],
    ["I want to", "incomplete"],
    ["I want to book a table and", "incomplete"],
    ["can you tell me the", "incomplete"],
    ["my number is five five five", "incomplete"],
    ["what is twelve", "incomplete"],
    ["what is twelve times", "incomplete"],
    ["I went to the shop yesterday", "unsure"],
  ])("%s → %s", (text, completeness) => {
    expect(judgeTranscript(text).completeness).toBe(completeness);
  });

  it("takes a short answer to the agent's question as complete", () => {
    expect(judgeTranscript("the blue one").completeness).toBe("unsure");
    expect(judgeTranscript("the blue one", true)).toMatchObject({ completeness: "complete", rule: "answer" });
  });
});

function setup() {
  const clock = new FakeClock(0);
  const ends: { decision: EndOfTurnDecision; atMs: number }[] = [];
  const endpointing = new Endpointing({
    options: defaultEndpointingOptions,
    clock,
    detector: rulesTurnDetector(),
    history: () => [],
    onEndOfTurn: (_reason, decision) => ends.push({ decision, atMs: clock.now() }),
    onError: (error) => {
      throw error;
    },
  });
  return { clock, ends, endpointing };
}

describe("rulesTurnDetector in the endpointing rule", () => {
  it("ends a complete question after the short silence, with its decision and confidence", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    await clock.advance(1000);
    endpointing.speechEnded(1000);
    endpointing.transcriptUpdated("what time is it", true);
    await clock.advance(249);
    expect(ends).toEqual([]);
    await clock.advance(1);
    expect(ends).toEqual([
      {
        atMs: 1250,
        decision: {
          reason: "turn_detector",
          delayMs: 250,
          detector: "rules",
          label: "complete:question",
          confidence: 0.75,
        },
      },
    ]);
  });

  it("waits the long silence after a trailing word, and the user goes on in time", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    await clock.advance(1000);
    endpointing.speechEnded(1000);
    endpointing.transcriptUpdated("I want to book a table for", true);
    await clock.advance(1000);
    expect(ends).toEqual([]);
    endpointing.speechStarted();
    await clock.advance(600);
    endpointing.speechEnded(2600);
    endpointing.transcriptUpdated("I want to book a table for two people", true);
    await clock.advance(700);
    expect(ends.map((e) => [e.atMs, e.decision.label])).toEqual([[3300, "unsure:statement"]]);
  });

  it("counts the STT's own end of speech as complete", async () => {
    const { clock, ends, endpointing } = setup();
    endpointing.speechStarted();
    await clock.advance(1000);
    endpointing.speechEnded(1000);
    endpointing.transcriptUpdated("I went to the shop", true);
    endpointing.sttEndOfSpeech();
    await clock.advance(250);
    expect(ends.map((e) => [e.atMs, e.decision.label])).toEqual([[1250, "complete:stt_end_of_speech"]]);
  });
});
