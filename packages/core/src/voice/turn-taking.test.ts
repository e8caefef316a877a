// Turn-taking on its own: fed speech and transcripts, it decides; nothing here acts.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../log/index.js";
import { MetricsCollector } from "../metrics/collector.js";
import { FakeClock } from "../testing/fake-clock.js";
import { resolveVoiceOptions } from "./options.js";
import type { ParticipantInput } from "./participant-input.js";
import { type TurnDecision, TurnTaking } from "./turn-taking.js";

function setup() {
  const clock = new FakeClock();
  const decisions: TurnDecision[] = [];
  const agent = { speaking: false, replying: false };
  const turns = new TurnTaking({
    options: resolveVoiceOptions({ endpointing: { minDelayMs: 500, maxDelayMs: 3000 } }),
    clock,
    metrics: new MetricsCollector(),
    logger: silentLogger,
    history: () => [],
    agent: { speaking: () => agent.speaking, replying: () => agent.replying },
    decide: (d) => decisions.push(d),
  });
  const alice = { participantId: "alice" } as ParticipantInput;
  const h = turns.inputHandler;
  /** One segment: speech, its end, its final transcript. */
  const say = (segmentId: number, text: string) => {
    h.onSpeechStart(alice, segmentId, clock.now());
    h.onSpeechEnd(alice, segmentId, clock.now() + 800, 800);
    h.onTranscript(alice, segmentId, text, true, clock.now() + 820);
  };
  const kinds = () => decisions.map((d) => d.type).filter((t) => t !== "floor");
  return { clock, decisions, agent, turns, h, alice, say, kinds };
}

describe("TurnTaking", () => {
  it("decides that a turn ended with words, once the endpointing delay passed", async () => {
    const t = setup();
    t.say(1, "what time is it");
    expect(t.kinds()).not.toContain("answer");
    await t.clock.advance(1400);
    const answer = t.decisions.find((d) => d.type === "answer");
    expect(answer?.type === "answer" && answer.turn.text).toBe("what time is it");
    expect(t.turns.turn?.phase).toBe("replying");
  });

  it("decides a merge, not a second answer, when the user goes on before the answer plays", async () => {
    const t = setup();
    t.say(1, "book a table");
    await t.clock.advance(1400);
    t.agent.replying = true; // the owner queued an answer, not yet playing
    t.say(2, "for two");
    expect(t.kinds().filter((k) => k === "merge")).toHaveLength(1);
    await t.clock.advance(1400);
    const answers = t.decisions.filter((d) => d.type === "answer");
    expect(answers).toHaveLength(2); // the same turn, answered again with all its words
    expect(answers[1]?.type === "answer" && answers[1].turn.text).toBe("book a table for two");
    expect(answers[1]?.type === "answer" && answers[1].turn).toBe(
      answers[0]?.type === "answer" && answers[0].turn,
    );
  });

  it("decides a barge-in only once speech over the agent lasts minInterruptionMs", () => {
    const t = setup();
    t.agent.speaking = true;
    t.h.onSpeechStart(t.alice, 1, t.clock.now());
    t.h.onSpeechProgress(t.alice, 1, 200);
    expect(t.kinds()).not.toContain("barge_in");
    t.h.onSpeechProgress(t.alice, 1, 300);
    expect(t.kinds()).toContain("barge_in");
    expect(t.turns.turn?.ownerId).toBe("alice");
  });

  it("drops a cough over the agent: no barge-in, no turn", async () => {
    const t = setup();
    t.agent.speaking = true;
    t.h.onSpeechStart(t.alice, 1, t.clock.now());
    t.h.onSpeechProgress(t.alice, 1, 100);
    t.h.onSpeechEnd(t.alice, 1, t.clock.now() + 100, 100);
    t.h.onTranscript(t.alice, 1, "hm", true, t.clock.now() + 120);
    await t.clock.advance(3000);
    expect(t.kinds()).toEqual(["user_state", "user_state"]);
    expect(t.turns.turn).toBeUndefined();
  });

  it("reports a bug in a step as an error decision instead of throwing into the caller", () => {
    const t = setup();
    const broken = {
      get participantId(): string {
        throw new Error("boom");
      },
    } as ParticipantInput;
    expect(() => t.h.onSpeechStart(broken, 1, 0)).not.toThrow();
    expect(t.decisions.at(-1)).toMatchObject({ type: "error", source: "loop", error: { message: "boom" } });
  });
});
