import { type AudioFrame, audioFrame, type SttPart, type SttStream } from "callwright";
import { beforeAll, describe, expect, it } from "vitest";
import { fliteSpeech, type Speech, sentences, wordErrors } from "../../test-fixtures/speech.js";
import { STT } from "./index.js";

const frameSamples = 512;

function* frames(samples: Int16Array): Generator<AudioFrame> {
  for (let i = 0; i < samples.length; i += frameSamples) {
    yield audioFrame(samples.subarray(i, i + frameSamples), 16000);
  }
}

/** Reads a stream's parts into an array until it ends. */
async function collect(stream: SttStream): Promise<SttPart[]> {
  const parts: SttPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function finals(parts: SttPart[]): string[] {
  return parts.flatMap((p) => (p.type === "final" ? [p.text] : []));
}

describe("local.STT (pocketsphinx)", () => {
  const speech: Record<"kal16" | "slt", Speech[]> = { kal16: [], slt: [] };

  beforeAll(async () => {
    for (const voice of ["kal16", "slt"] as const) {
      speech[voice] = await Promise.all(sentences.map((s) => fliteSpeech(s, voice)));
    }
  });

  it("transcribes flite's kal16 and slt voices with at most 15 % word errors", async () => {
    const stt = new STT();
    await stt.warmup();
    // One session per voice, side by side (two decoders).
    const results = await Promise.all(
      (["kal16", "slt"] as const).map(async (voice) => {
        const stream = stt.stream({ signal: new AbortController().signal });
        const done = collect(stream);
        for (const s of speech[voice]) {
          for (const f of frames(s.samples)) stream.push(f);
          stream.flush();
        }
        stream.end();
        return done;
      }),
    );
    let errors = 0;
    let words = 0;
    for (const parts of results) {
      const ends = parts.filter((p): p is Extract<SttPart, { type: "final" }> => p.type === "final");
      expect(ends).toHaveLength(sentences.length);
      expect(ends.every((p) => p.segmentEnd)).toBe(true);
      finals(parts).forEach((text, i) => {
        const e = wordErrors(sentences[i]!, text);
        errors += e.errors;
        words += e.words;
      });
    }
    expect(errors / words).toBeLessThanOrEqual(0.15);
    await stt.close();
  });

  it("gives each of several concurrent sessions its own text, more sessions than decoders", async () => {
    const stt = new STT({ poolSize: 2 });
    const utterances = [speech.kal16[0]!, speech.slt[1]!, speech.kal16[2]!, speech.slt[3]!];
    const streams = utterances.map(() => stt.stream({ signal: new AbortController().signal }));
    const done = streams.map(collect);
    // Interleave the sessions' frames, as live calls would.
    const iterators = utterances.map((u) => frames(u.samples));
    let active = true;
    while (active) {
      active = false;
      iterators.forEach((it, i) => {
        const next = it.next();
        if (next.done) return;
        active = true;
        streams[i]!.push(next.value);
      });
    }
    for (const s of streams) {
      s.flush();
      s.end();
    }
    const texts = (await Promise.all(done)).map((parts) => finals(parts).join(" "));
    texts.forEach((text, i) => {
      const { errors, words } = wordErrors(utterances[i]!.text, text);
      expect(errors / words, `session ${i}: "${text}"`).toBeLessThanOrEqual(0.3);
    });
    expect(stt.poolStats().loaded).toBeLessThanOrEqual(2);
    await stt.close();
  });

  it("recognises a session the same whoever used the shared decoder before", async () => {
    const transcribe = async (stt: STT, utterances: Speech[]) => {
      const stream = stt.stream({ signal: new AbortController().signal });
      const done = collect(stream);
      for (const u of utterances) {
        for (const f of frames(u.samples)) stream.push(f);
        stream.flush();
      }
      stream.end();
      return finals(await done);
    };
    // One decoder: session B runs on the decoder session A just adapted to another voice.
    const shared = new STT({ poolSize: 1 });
    await transcribe(shared, [speech.kal16[0]!, speech.kal16[2]!, speech.kal16[3]!]);
    const afterOthers = await transcribe(shared, [speech.slt[1]!]);
    // A pool of its own (another size), so a decoder nobody has used.
    const fresh = await transcribe(new STT({ poolSize: 3 }), [speech.slt[1]!]);
    expect(afterOthers).toEqual(fresh);
  });

  it("answers a flush with no audio at once with an empty final", async () => {
    const stt = new STT();
    const stream = stt.stream({ signal: new AbortController().signal });
    stream.flush();
    stream.end();
    expect(await collect(stream)).toEqual([{ type: "final", text: "", segmentEnd: true }]);
  });

  it("gives the decoder back when a session is aborted mid-utterance", async () => {
    // One decoder: the second session can only be answered once the first lets go of it.
    const stt = new STT({ poolSize: 1 });
    await stt.warmup();
    const abortA = new AbortController();
    const a = stt.stream({ signal: abortA.signal });
    const aParts = a[Symbol.asyncIterator]();
    for (const f of frames(speech.kal16[3]!.samples.subarray(0, 16000))) a.push(f);
    // An interim means session A holds the decoder (and keeps it: its utterance is not over).
    expect((await aParts.next()).value).toMatchObject({ type: "interim" });
    const b = stt.stream({ signal: new AbortController().signal });
    const bDone = collect(b);
    for (const f of frames(speech.kal16[0]!.samples)) b.push(f);
    b.flush();
    b.end();
    expect(stt.poolStats().waiting).toBe(1);
    abortA.abort();
    expect(await aParts.next()).toEqual({ value: undefined, done: true });
    const bText = finals(await bDone).join(" ");
    expect(wordErrors(speech.kal16[0]!.text, bText).errors).toBeLessThanOrEqual(2);
    expect(stt.poolStats()).toMatchObject({ busy: 0, waiting: 0 });
    await stt.close();
  });

  it("close() ends the sessions' streams and frees their decoders for other sessions", async () => {
    const options = { poolSize: 1, interimIntervalMs: 250 };
    const closing = new STT(options);
    const stream = closing.stream({ signal: new AbortController().signal });
    const parts = stream[Symbol.asyncIterator]();
    for (const f of frames(speech.slt[0]!.samples.subarray(0, 16000))) stream.push(f);
    expect((await parts.next()).value).toMatchObject({ type: "interim" });
    await closing.close();
    expect((await parts.next()).done).toBe(true);
    expect(() => closing.stream({ signal: new AbortController().signal })).toThrow(/closed/);
    // Another session on the same one-decoder pool is served.
    const other = new STT(options).stream({ signal: new AbortController().signal });
    for (const f of frames(speech.kal16[0]!.samples)) other.push(f);
    other.flush();
    other.end();
    expect(finals(await collect(other)).join(" ")).toContain("weather");
  });

  it("fails warm-up with an install hint when the library is missing", async () => {
    const stt = new STT({ libraryPath: "libpocketsphinx-not-here.so.3" });
    await expect(stt.warmup()).rejects.toMatchObject({
      code: "stt_library_missing",
      message: expect.stringContaining("apt-get install -y pocketsphinx pocketsphinx-en-us"),
    });
  });

  it("fails warm-up with an install hint when the model is missing", async () => {
    const stt = new STT({ acousticModelPath: "/nonexistent/en-us" });
    await expect(stt.warmup()).rejects.toMatchObject({
      code: "stt_model_missing",
      message: expect.stringContaining("apt-get install -y pocketsphinx pocketsphinx-en-us"),
    });
  });
});
