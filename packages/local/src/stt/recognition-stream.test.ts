import { audioFrame, type SttPart } from "callwright";
import { describe, expect, it } from "vitest";
import type { Decoder, DecoderAdaptation } from "./decoder.js";
import { DecoderPool } from "./decoder-pool.js";
import { RecognitionStream } from "./recognition-stream.js";

/** A decoder whose "text" says how many samples it heard and which adaptation it started from. */
class FakeDecoder implements Decoder {
  static created = 0;
  readonly id = ++FakeDecoder.created;
  inUtterance = false;
  freed = false;
  heard = 0;
  startedWith: DecoderAdaptation | undefined;
  failNextProcess = false;

  async startUtterance(adaptation: DecoderAdaptation | undefined): Promise<void> {
    this.inUtterance = true;
    this.heard = 0;
    this.startedWith = adaptation;
  }
  async process(samples: Int16Array): Promise<void> {
    if (this.failNextProcess) {
      this.failNextProcess = false;
      throw new Error("native call failed");
    }
    this.heard += samples.length;
  }
  async partialHypothesis(): Promise<string> {
    return `partial ${this.heard}`;
  }
  async endUtterance(): Promise<{ text: string; adaptation: DecoderAdaptation | undefined }> {
    this.inUtterance = false;
    const from = this.startedWith?.[0] ?? "none";
    return { text: `heard ${this.heard} from ${from}`, adaptation: Float32Array.of(this.heard) };
  }
  free(): void {
    this.freed = true;
  }
}

function setup(size: number) {
  const decoders: FakeDecoder[] = [];
  const pool = new DecoderPool({
    size,
    create: async () => {
      const d = new FakeDecoder();
      decoders.push(d);
      return d;
    },
  });
  const open = (signal = new AbortController().signal) =>
    new RecognitionStream(pool, { signal, interimResults: false, interimIntervalMs: 300, provider: "local" });
  return { pool, decoders, open };
}

const frame = (samples: number) => audioFrame(new Int16Array(samples), 16000);

async function collect(stream: RecognitionStream): Promise<SttPart[]> {
  const parts: SttPart[] = [];
  for await (const p of stream) parts.push(p);
  return parts;
}

describe("RecognitionStream over a DecoderPool", () => {
  it("serves waiting utterances in the order they started, one decoder at a time", async () => {
    const { pool, open } = setup(1);
    const order: string[] = [];
    const streams = ["a", "b", "c"].map(() => open());
    const done = streams.map(async (s, i) => {
      for await (const p of s) if (p.type === "final") order.push("abc"[i]!);
    });
    // a starts first and holds the decoder; c asks before b.
    streams[0]!.push(frame(320));
    streams[2]!.push(frame(320));
    streams[1]!.push(frame(320));
    for (const s of [streams[1]!, streams[2]!, streams[0]!]) {
      s.flush();
      s.end();
    }
    await Promise.all(done);
    expect(order).toEqual(["a", "c", "b"]);
    expect(pool.stats()).toEqual({ size: 1, loaded: 1, busy: 0, waiting: 0 });
  });

  it("decodes every frame pushed before the flush, and each utterance separately", async () => {
    const { open } = setup(2);
    const s = open();
    s.push(frame(512));
    s.push(frame(512));
    s.flush();
    s.push(frame(100));
    s.flush();
    s.end();
    expect(await collect(s)).toEqual([
      { type: "final", text: "heard 1024 from none", segmentEnd: true },
      { type: "final", text: "heard 100 from 1024", segmentEnd: true },
    ]);
  });

  it("carries a session's adaptation to its own next utterance only", async () => {
    const { open } = setup(1);
    const a = open();
    a.push(frame(700));
    a.flush();
    const aParts = collect(a);
    const b = open();
    b.push(frame(300));
    b.flush();
    b.end();
    a.push(frame(10));
    a.flush();
    a.end();
    const finalsOf = (parts: SttPart[]) => parts.map((p) => (p.type === "final" ? p.text : p.type));
    expect(finalsOf(await aParts)).toEqual(["heard 700 from none", "heard 10 from 700"]);
    expect(finalsOf(await collect(b))).toEqual(["heard 300 from none"]);
  });

  it("turns a native failure into an error part and a final, and replaces the decoder", async () => {
    const { pool, decoders, open } = setup(1);
    await pool.preload();
    decoders[0]!.failNextProcess = true;
    const s = open();
    s.push(frame(512));
    s.flush();
    s.push(frame(256));
    s.flush();
    s.end();
    const parts = await collect(s);
    expect(parts[0]).toMatchObject({ type: "error", recoverable: true, error: { code: "provider_error" } });
    expect(parts.slice(1)).toEqual([
      { type: "final", text: "", segmentEnd: true },
      { type: "final", text: "heard 256 from none", segmentEnd: true },
    ]);
    expect(decoders[0]!.freed).toBe(true);
    expect(decoders).toHaveLength(2);
  });

  it("gives up a place in the queue and the decoder when aborted", async () => {
    const { pool, decoders, open } = setup(1);
    const holderAbort = new AbortController();
    const holder = open(holderAbort.signal);
    holder.push(frame(512));
    const waiterAbort = new AbortController();
    const waiter = open(waiterAbort.signal);
    waiter.push(frame(512));
    await Promise.resolve();
    await Promise.resolve();
    expect(pool.stats()).toMatchObject({ busy: 1, waiting: 1 });
    waiterAbort.abort();
    expect(pool.stats()).toMatchObject({ busy: 1, waiting: 0 });
    expect(await collect(waiter)).toEqual([]);
    holderAbort.abort();
    expect(await collect(holder)).toEqual([]);
    const next = open();
    next.push(frame(64));
    next.flush();
    next.end();
    expect(await collect(next)).toEqual([{ type: "final", text: "heard 64 from none", segmentEnd: true }]);
    expect(decoders.map((d) => [d.inUtterance, d.freed])).toEqual([[false, false]]);
  });

  it("stops and gives the decoder back when the reader stops reading", async () => {
    const { pool, open } = setup(1);
    const s = open();
    s.push(frame(512));
    s.flush();
    s.push(frame(512));
    for await (const p of s) {
      expect(p.type).toBe("final");
      break;
    }
    expect(s.stopped).toBe(true);
    const next = open();
    next.push(frame(1));
    next.flush();
    next.end();
    expect(await collect(next)).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ busy: 0, loaded: 1 });
  });

  it("ends with an unrecoverable error when no decoder can be loaded", async () => {
    const pool = new DecoderPool({
      size: 2,
      create: () => Promise.reject(new Error("model missing")),
    });
    const s = new RecognitionStream(pool, {
      signal: new AbortController().signal,
      interimResults: false,
      interimIntervalMs: 300,
      provider: "local",
    });
    s.push(frame(512));
    s.flush();
    const parts = await collect(s);
    expect(parts).toEqual([expect.objectContaining({ type: "error", recoverable: false })]);
  });

  it("refuses audio that is not 16 kHz mono", () => {
    const { open } = setup(1);
    expect(() => open().push(audioFrame(new Int16Array(960), 48000))).toThrow(/16000 Hz mono/);
  });
});
