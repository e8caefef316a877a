import type { TimerHandle } from "@callwright/provider-utils";
import { type AudioFrame, audioFrame } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../testing/fake-clock.js";
import { AudioOutput, type PlaybackOwner } from "./audio-output.js";

const frame20 = (): AudioFrame => audioFrame(new Int16Array(960), 48000);

function setup(clock = new FakeClock(0)) {
  const sent: number[] = [];
  let clears = 0;
  const output = new AudioOutput(
    { sendAudio: () => sent.push(clock.now()), clearAudio: () => (clears += 1) },
    clock,
  );
  const frames: number[] = [];
  const owner: PlaybackOwner & { frames: number[]; doneAt: number | undefined } = {
    frames,
    doneAt: undefined,
    onFrameSent: (tag) => frames.push(tag),
    onPlayoutDone: (atMs) => {
      owner.doneAt = atMs;
    },
  };
  return { clock, sent, output, owner, clears: () => clears };
}

/** A clock whose timers all fire 3 ms late, like a busy event loop. */
class LateClock extends FakeClock {
  override setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return super.setTimeout(callback, delayMs + 3);
  }
}

describe("AudioOutput", () => {
  it("sends the first frame at once and the rest every 20 ms", async () => {
    const { clock, sent, output, owner } = setup();
    for (let i = 0; i < 5; i++) output.enqueue(frame20(), owner, i);
    expect(sent).toEqual([0]);
    await clock.advance(100);
    expect(sent).toEqual([0, 20, 40, 60, 80]);
    expect(owner.frames).toEqual([0, 1, 2, 3, 4]);
  });

  it("does not drift when timers fire late", async () => {
    const { clock, sent, output, owner } = setup(new LateClock(0));
    for (let i = 0; i < 50; i++) output.enqueue(frame20(), owner, i);
    await clock.advance(1100);
    expect(sent).toHaveLength(50);
    // Every frame is sent within the lateness of its own slot: 3 ms, not 3 ms × n.
    for (const [n, at] of sent.entries()) expect(at - 20 * n).toBeLessThanOrEqual(3);
  });

  it("tells the owner its audio has played one frame after the last frame went out", async () => {
    const { clock, output, owner } = setup();
    output.enqueue(frame20(), owner, 0);
    output.enqueue(frame20(), owner, 1);
    output.enqueueEnd(owner);
    await clock.advance(39);
    expect(owner.doneAt).toBeUndefined();
    await clock.advance(1);
    expect(owner.doneAt).toBe(40);
  });

  it("stops within one frame on clear, and tells the edge to drop its buffer", async () => {
    const { clock, sent, output, owner, clears } = setup();
    for (let i = 0; i < 10; i++) output.enqueue(frame20(), owner, i);
    output.enqueueEnd(owner);
    await clock.advance(50);
    output.clear();
    await clock.advance(500);
    expect(sent).toEqual([0, 20, 40]);
    expect(clears()).toBe(1);
    expect(owner.doneAt).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    // The next reply starts at once.
    output.enqueue(frame20(), owner, 0);
    expect(sent.at(-1)).toBe(550);
  });

  it("after running dry, starts again from now instead of bursting", async () => {
    const { clock, sent, output, owner } = setup();
    output.enqueue(frame20(), owner, 0);
    await clock.advance(70);
    output.enqueue(frame20(), owner, 1);
    output.enqueue(frame20(), owner, 2);
    await clock.advance(40);
    expect(sent).toEqual([0, 70, 90]);
  });

  it("holds no timer after close", async () => {
    const { clock, output, owner } = setup();
    for (let i = 0; i < 10; i++) output.enqueue(frame20(), owner, i);
    output.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
