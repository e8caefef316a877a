import { describe, expect, test } from "vitest";
import { JitterBuffer, type JitterOutput } from "./jitter-buffer.js";

const p = (n: number) => Uint8Array.of(n & 0xff);
const kinds = (out: JitterOutput[]) =>
  out.map((o) => (o.kind === "reset" ? "reset" : `${o.kind}:${o.sequenceNumber}`));

describe("JitterBuffer", () => {
  test("passes packets that arrive in order straight through", () => {
    const jb = new JitterBuffer();
    expect(kinds(jb.push(10, p(10), 0))).toEqual(["packet:10"]);
    expect(kinds(jb.push(11, p(11), 20))).toEqual(["packet:11"]);
    expect(kinds(jb.push(12, p(12), 40))).toEqual(["packet:12"]);
  });

  test("puts a reordered packet back in its place", () => {
    const jb = new JitterBuffer();
    jb.push(1, p(1), 0);
    expect(kinds(jb.push(3, p(3), 20))).toEqual([]);
    expect(kinds(jb.push(2, p(2), 25))).toEqual(["packet:2", "packet:3"]);
  });

  test("declares a missing packet lost once later ones waited maxWaitMs, offering the next for FEC", () => {
    const jb = new JitterBuffer({ maxWaitMs: 40 });
    jb.push(1, p(1), 0);
    expect(jb.push(3, p(3), 40)).toEqual([]);
    expect(jb.push(4, p(4), 60)).toEqual([]);
    const out = jb.push(5, p(5), 80);
    expect(kinds(out)).toEqual(["lost:2", "packet:3", "packet:4", "packet:5"]);
    expect(out[0]).toMatchObject({ kind: "lost", next: p(3) });
    expect(jb.stats.lost).toBe(1);
  });

  test("gives up at once when too many packets wait", () => {
    const jb = new JitterBuffer({ maxWaitMs: 10_000, maxPackets: 2 });
    jb.push(1, p(1), 0);
    jb.push(3, p(3), 1);
    jb.push(4, p(4), 2);
    expect(kinds(jb.push(5, p(5), 3))).toEqual(["lost:2", "packet:3", "packet:4", "packet:5"]);
  });

  test("drops duplicates and packets that come after their turn", () => {
    const jb = new JitterBuffer();
    jb.push(1, p(1), 0);
    jb.push(2, p(2), 20);
    expect(jb.push(2, p(2), 21)).toEqual([]);
    expect(jb.push(1, p(1), 22)).toEqual([]);
    jb.push(4, p(4), 40);
    expect(jb.push(4, p(4), 41)).toEqual([]);
    expect(jb.stats).toMatchObject({ late: 2, duplicate: 1 });
  });

  test("a big jump is a new stream: reset, no concealment of the gap", () => {
    const jb = new JitterBuffer({ maxGapPackets: 25 });
    jb.push(100, p(1), 0);
    expect(kinds(jb.push(5000, p(2), 20))).toEqual(["reset", "packet:5000"]);
    expect(jb.stats.lost).toBe(0);
  });

  test("works across the 16-bit wrap", () => {
    const jb = new JitterBuffer();
    jb.push(65534, p(1), 0);
    expect(kinds(jb.push(0, p(3), 20))).toEqual([]);
    expect(kinds(jb.push(65535, p(2), 25))).toEqual(["packet:65535", "packet:0"]);
  });
});
