// elevenlabs.TTS against the fake ElevenLabs service (test/fakes/elevenlabs-server.ts): the text it
// streams in, the audio and timings it yields, flushes, barge-in, retries, idle closes, errors,
// and the HTTP per-sentence form.
import { ConfigError, ProviderError, type TtsStreamPart, type TtsTiming } from "@callwright/spec";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeElevenLabsOptions,
  type FakeElevenLabsServer,
  startFakeElevenLabs,
  synthesizeChars,
} from "../../../test/fakes/elevenlabs-server.js";
import type { StreamingMode, TTSSettings } from "./options.js";
import { TTS } from "./tts.js";

let server: FakeElevenLabsServer | undefined;
const models: TTS[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.close();
  await server?.close();
  server = undefined;
});

async function fake(options: FakeElevenLabsOptions = {}): Promise<FakeElevenLabsServer> {
  server = await startFakeElevenLabs(options);
  return server;
}

function model(settings: TTSSettings = {}): TTS {
  const tts = new TTS({ apiKey: server!.apiKey, baseUrl: server!.baseUrl, ...settings }, {});
  models.push(tts);
  return tts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects a reply's parts; `until` waits for one that matches. */
function collect(stream: AsyncIterable<TtsStreamPart>) {
  const parts: TtsStreamPart[] = [];
  const at: number[] = [];
  let error: unknown;
  const listeners = new Set<() => void>();
  const done = (async () => {
    try {
      for await (const part of stream) {
        parts.push(part);
        at.push(performance.now());
        for (const l of [...listeners]) l();
      }
    } catch (e) {
      error = e;
    }
  })();
  return {
    parts,
    at,
    done,
    get error() {
      return error;
    },
    until(match: (p: TtsStreamPart) => boolean, timeoutMs = 5000): Promise<TtsStreamPart> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = parts.find(match);
          if (found === undefined) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`no matching part in ${timeoutMs} ms: ${JSON.stringify(parts.map((p) => p.type))}`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

function audio(parts: readonly TtsStreamPart[]): Int16Array {
  const frames = parts.flatMap((p) => (p.type === "audio" ? [p.frame.samples] : []));
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function timings(parts: readonly TtsStreamPart[]): TtsTiming[] {
  return parts.flatMap((p) => (p.type === "timings" ? [...p.timings] : []));
}

/** RMS (0..1) of `samples` from `startMs` for `durationMs`. */
function rms(samples: Int16Array, rateHz: number, startMs: number, durationMs: number): number {
  const from = Math.round((startMs * rateHz) / 1000);
  const to = Math.min(samples.length, Math.round(((startMs + durationMs) * rateHz) / 1000));
  let sum = 0;
  for (let i = from; i < to; i++) sum += (samples[i]! / 32768) ** 2;
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
}

/** Every word's timing points at its sound: voiced from start to end, silent in the space after it. */
function expectTimingsOnTheAudio(samples: Int16Array, rateHz: number, words: readonly TtsTiming[]): void {
  expect(words.length).toBeGreaterThan(0);
  let previous = -1;
  for (const w of words) {
    expect(w.startMs).toBeGreaterThan(previous);
    previous = w.startMs;
    expect(rms(samples, rateHz, w.startMs + 5, w.endMs - w.startMs - 10)).toBeGreaterThan(0.1);
    if (/\s$/.test(w.text)) expect(rms(samples, rateHz, w.endMs + 5, 25)).toBeLessThan(0.01);
  }
}

/** Text messages the fake received (context id and settings aside). */
function texts(received: readonly Record<string, unknown>[]): { text: unknown; flush?: unknown }[] {
  return received
    .filter((m) => typeof m.text === "string")
    .map((m) => (m.flush === true ? { text: m.text, flush: true } : { text: m.text }));
}

const modes: StreamingMode[] = ["multi-context", "socket-per-reply"];

describe.each(modes)("elevenlabs.TTS streamText (%s)", (streaming) => {
  it("streams text in whole words as it is written, first sentence flushed, and speaks it with timings on its audio", async () => {
    const el = await fake();
    const tts = model({ streaming, voiceSettings: { stability: 0.4, speed: 1.1 } });
    const stream = tts.streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const token of ["Hel", "lo the", "re. How", " are y", "ou to", "day?"]) stream.push(token);
    stream.end();
    await got.done;
    expect(got.error).toBeUndefined();
    const connection = el.connections[0]!;
    expect(connection.endpoint).toBe(streaming === "multi-context" ? "multi-stream-input" : "stream-input");
    expect(Object.fromEntries(connection.query)).toMatchObject({
      model_id: "eleven_flash_v2_5",
      output_format: "pcm_24000",
      sync_alignment: "true",
      inactivity_timeout: "180",
    });
    expect(connection.headers["xi-api-key"]).toBe(el.apiKey);
    expect(connection.received[0]).toMatchObject({
      text: " ",
      voice_settings: { stability: 0.4, speed: 1.1 },
    });
    const sent = texts(connection.received).slice(1);
    expect(sent.slice(0, 3)).toEqual([
      { text: "Hello " },
      { text: "there. ", flush: true }, // the first sentence is complete: speak it now
      { text: "How are " },
    ]);
    for (const m of sent) expect(m.text === "" || String(m.text).endsWith(" ")).toBe(true);
    expect(sent.map((m) => m.text).join("")).toBe("Hello there. How are you today? ");
    const samples = audio(got.parts);
    const expected = synthesizeChars("Hello there. How are you today?", 24000, {
      msPerChar: 60,
      msPerSpace: 40,
    });
    expect(samples.length).toBe(expected.samples.length);
    for (const p of got.parts) if (p.type === "audio") expect(p.frame.sampleRateHz).toBe(24000);
    const words = timings(got.parts);
    expect(words.map((w) => w.text).join("")).toBe("Hello there. How are you today?");
    expectTimingsOnTheAudio(samples, 24000, words);
  });

  it("timings count from the reply's first sample across audio chunks and segments", async () => {
    await fake({ charsPerMessage: 7 });
    const stream = model({ streaming }).streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("One two three four five. ");
    stream.flush();
    stream.push("Six seven eight nine ten.");
    stream.end();
    await got.done;
    const words = timings(got.parts);
    expect(words.map((w) => w.text.trim())).toEqual([
      "One",
      "two",
      "three",
      "four",
      "five.",
      "Six",
      "seven",
      "eight",
      "nine",
      "ten.",
    ]);
    expectTimingsOnTheAudio(audio(got.parts), 24000, words);
    // "seven" starts 60 ms × 27 visible characters + 40 ms × 6 spaces into the reply's audio.
    const seven = words.find((w) => w.text.trim() === "seven")!;
    const chunks = got.parts.filter((p) => p.type === "audio").length;
    expect(chunks).toBeGreaterThan(6); // many chunks, each with its own time origin on the wire
    expect(seven.startMs).toBeCloseTo(
      synthesizeChars("One two three four five.", 24000, { msPerChar: 60, msPerSpace: 40 }).samples.length /
        24 +
        synthesizeChars("Six ", 24000, { msPerChar: 60, msPerSpace: 40 }).samples.length / 24,
      0,
    );
  });

  it("flush() ends a segment: `flushed` follows its audio, and the next text is spoken after it", async () => {
    const el = await fake();
    const stream = model({ streaming }).streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("Let me check");
    stream.flush();
    await got.until((p) => p.type === "flushed");
    stream.push("It is three o'clock.");
    stream.end();
    await got.done;
    const kinds = got.parts.map((p) => p.type);
    const flushedAt = kinds.indexOf("flushed");
    const before = timings(got.parts.slice(0, flushedAt)).map((w) => w.text.trim());
    const after = timings(got.parts.slice(flushedAt)).map((w) => w.text.trim());
    expect(before).toEqual(["Let", "me", "check"]);
    expect(after).toEqual(["It", "is", "three", "o'clock."]);
    expect(kinds.filter((k) => k === "flushed")).toHaveLength(1); // end() adds none
    expect(kinds.at(-1)).not.toBe("error");
    if (streaming === "multi-context") {
      // Two contexts on one socket.
      expect(el.connections).toHaveLength(1);
      expect(el.connections[0]!.contexts.size).toBe(2);
    } else {
      expect(el.connections).toHaveLength(2);
    }
  });

  it("answers every flush() with one `flushed`, even with nothing new since the last", async () => {
    await fake();
    const stream = model({ streaming }).streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.flush(); // before any text: answered at once
    stream.push("One moment. ");
    stream.flush();
    stream.flush(); // nothing new: answered after the audio in flight
    stream.end();
    await got.done;
    const kinds = got.parts.map((p) => p.type);
    expect(kinds.filter((k) => k === "flushed")).toHaveLength(3);
    expect(kinds[0]).toBe("flushed");
    expect(kinds.at(-1)).toBe("flushed");
    expect(kinds.lastIndexOf("audio")).toBeLessThan(kinds.indexOf("flushed", 1));
  });

  it("barge-in: aborting stops the reply within one 20 ms frame, and no audio follows", async () => {
    const el = await fake({ latency: { rttMs: 0, ttfbMs: 30 } });
    const controller = new AbortController();
    const stream = model({ streaming, chunkLengthSchedule: [50] }).streamText({ signal: controller.signal });
    const got = collect(stream);
    stream.push("This is the first sentence. ");
    await got.until((p) => p.type === "audio");
    await sleep(50); // its audio is all out; nothing else is in flight
    // More text: ElevenLabs starts generating it (its model takes 30 ms), and the user barges in.
    stream.push("It goes on and on, sentence after sentence, so there is plenty left to stop. ");
    const connection = el.connections[0]!;
    let closedAt = Number.POSITIVE_INFINITY;
    void connection.socket.closed.then(() => {
      closedAt = performance.now();
    });
    const partsAtAbort = got.parts.length;
    const abortedAt = performance.now();
    controller.abort();
    await got.done;
    expect((got.error as Error).name).toBe("AbortError");
    if (streaming === "multi-context") {
      await sleep(20);
      const context = [...connection.contexts.values()][0]!;
      expect(context.closeContextAtMs! - abortedAt).toBeLessThan(20);
      expect(connection.socket.open).toBe(true); // the socket stays for the next reply
    } else {
      await connection.socket.closed;
      expect(closedAt - abortedAt).toBeLessThan(20);
    }
    await sleep(100); // the generation that was under way would have come by now
    expect(got.parts.length).toBe(partsAtAbort);
    // Closed before it was flushed, its text is never generated (nor, per reply, sent anywhere).
    expect(connection.samplesSent).toBe(audio(got.parts).length);
  });

  it("retries a segment whose socket dropped before its first audio, and the reply is still spoken", async () => {
    const el = await fake({ latency: { rttMs: 0, ttfbMs: 80 } });
    const stream = model({ streaming, retryBaseDelayMs: 10 }).streamText({
      signal: new AbortController().signal,
    });
    const got = collect(stream);
    stream.push("Are you still there? ");
    const first = await el.waitForConnections(1);
    while (first.received.length < 2) await sleep(5);
    first.socket.drop(); // before the model's first audio
    stream.end();
    await got.done;
    expect(got.parts.some((p) => p.type === "error")).toBe(false);
    expect(timings(got.parts).map((w) => w.text.trim())).toEqual(["Are", "you", "still", "there?"]);
    expect(el.connections).toHaveLength(2);
  });

  it("a drop after audio has come is an error part (the reply is cut, not repeated)", async () => {
    const el = await fake({ charsPerMessage: 5 });
    el.faults.dropAfterMessages = 2;
    const stream = model({ streaming }).streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("A sentence long enough for several messages. ");
    stream.end();
    await got.done;
    const last = got.parts.at(-1);
    expect(last?.type).toBe("error");
    const error = (last as { error: Error }).error as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe("connection");
    expect(got.parts.filter((p) => p.type === "audio")).toHaveLength(2);
  });

  it("ElevenLabs' inactivity close while the reply waits for text is an error that names inactivityTimeoutS", async () => {
    await fake({ inactivityTimeoutMs: 150 });
    const stream = model({ streaming }).streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("Hmm, ");
    await got.done;
    const last = got.parts.at(-1) as { type: string; error: ProviderError };
    expect(last.type).toBe("error");
    expect(last.error.kind).toBe("timeout");
    expect(last.error.message).toMatch(/input_timeout_exceeded.*inactivityTimeoutS/);
  });

  it("a bad key fails the reply with an auth error naming ELEVENLABS_API_KEY, without retrying", async () => {
    const el = await fake();
    const stream = model({ streaming, apiKey: "wrong" }).streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("Hello. ");
    stream.end();
    await got.done;
    expect(got.parts).toHaveLength(1);
    const error = (got.parts[0] as { error: Error }).error as ProviderError;
    expect(error).toMatchObject({ kind: "auth", code: "elevenlabs_auth", retryable: false });
    expect(error.message).toMatch(/Invalid API key.*ELEVENLABS_API_KEY/);
    expect(el.connections).toHaveLength(1);
  });

  it("a malformed message fails the reply with a protocol error", async () => {
    const el = await fake();
    el.faults.malformedNext = true;
    const stream = model({ streaming }).streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("Hello there. ");
    stream.end();
    await got.done;
    expect(got.parts.at(-1)).toMatchObject({ type: "error", error: { kind: "protocol" } });
  });

  it("a model slower than responseTimeoutMs is retried, then reported as a timeout", async () => {
    const el = await fake({ latency: { rttMs: 0, ttfbMs: 400 } });
    const stream = model({
      streaming,
      responseTimeoutMs: 100,
      maxRetries: 1,
      retryBaseDelayMs: 10,
    }).streamText({
      signal: new AbortController().signal,
    });
    const got = collect(stream);
    stream.push("Slow. ");
    stream.end();
    await got.done;
    expect(got.parts.at(-1)).toMatchObject({
      type: "error",
      error: { kind: "timeout", code: "elevenlabs_timeout" },
    });
    const attempts = streaming === "multi-context" ? el.connections[0]!.contexts.size : el.connections.length;
    expect(attempts).toBe(2);
  });
});

describe("elevenlabs.TTS multi-context socket", () => {
  it("keeps one socket across replies, and re-opens it for the next reply after ElevenLabs closed it idle", async () => {
    const el = await fake({ inactivityTimeoutMs: 300 });
    const tts = model();
    for (const text of ["First reply. ", "Second reply. "]) {
      const stream = tts.streamText({ signal: new AbortController().signal });
      const got = collect(stream);
      stream.push(text);
      stream.end();
      await got.done;
      expect(got.parts.some((p) => p.type === "error")).toBe(false);
    }
    expect(el.connections).toHaveLength(1);
    expect([...el.connections[0]!.contexts.values()].map((c) => c.generated)).toEqual([
      "First reply.",
      "Second reply.",
    ]);
    await el.connections[0]!.socket.closed; // idle for longer than inactivity_timeout
    const stream = tts.streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("Third reply. ");
    stream.end();
    await got.done;
    expect(timings(got.parts).map((w) => w.text.trim())).toEqual(["Third", "reply."]);
    expect(el.connections).toHaveLength(2);
  });

  it("close() stops replies in flight, closes the socket and leaves no timer behind", async () => {
    const el = await fake({ latency: { rttMs: 0, ttfbMs: 50 } });
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    await sleep(150); // Vitest's own 100 ms update timer fires first, so the count holds only ours
    const before = timeouts();
    const tts = model();
    const stream = tts.streamText({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push("Something to say. ");
    stream.flush();
    await el.waitForConnections(1);
    await tts.close();
    await got.done;
    expect(got.error).toMatchObject({ name: "ClosedError" });
    expect(() => tts.streamText({ signal: new AbortController().signal })).toThrow(/closed/);
    await el.connections[0]!.socket.closed;
    await sleep(100); // the fake's pending generation runs out
    expect(timeouts()).toBe(before);
  });
});

describe("elevenlabs.TTS synthesize (HTTP streaming)", () => {
  it("streams PCM frames as they arrive, samples intact across odd chunk boundaries", async () => {
    const el = await fake();
    const tts = model({ outputSampleRateHz: 16000, voiceSettings: { similarityBoost: 0.8 } });
    const frames = [];
    for await (const frame of tts.synthesize("Good afternoon.", { signal: new AbortController().signal })) {
      frames.push(frame);
    }
    expect(frames.length).toBeGreaterThan(1);
    const samples = audio(frames.map((frame) => ({ type: "audio", frame }) as const));
    const expected = synthesizeChars("Good afternoon.", 16000, { msPerChar: 60, msPerSpace: 40 });
    expect(samples).toEqual(expected.samples);
    const request = el.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url.pathname).toBe("/v1/text-to-speech/VR6AewLTigWG4xSOukaG/stream");
    expect(request.url.searchParams.get("output_format")).toBe("pcm_16000");
    expect(request.headers["xi-api-key"]).toBe(el.apiKey);
    expect(request.json).toEqual({
      text: "Good afternoon.",
      model_id: "eleven_flash_v2_5",
      voice_settings: { similarity_boost: 0.8 },
    });
  });

  it("retries a 429 before the first byte, and stops the request when the signal aborts", async () => {
    const el = await fake();
    el.faults.rateLimitNext = 1;
    const tts = model({ retryBaseDelayMs: 10 });
    const controller = new AbortController();
    const frames = [];
    let error: unknown;
    try {
      for await (const frame of tts.synthesize("A long sentence to be cut short by the user.", {
        signal: controller.signal,
      })) {
        frames.push(frame);
        controller.abort();
      }
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe("AbortError");
    expect(frames).toHaveLength(1);
    expect(el.requests).toHaveLength(2);
    await el.requests[1]!.finished;
  });

  it("an answer slower than connectTimeoutMs is retried, then a timeout error naming the option", async () => {
    const el = await fake();
    el.faults.firstByteDelayMs = 2000;
    const tts = model({ connectTimeoutMs: 300, maxRetries: 1, retryBaseDelayMs: 10 });
    const error = await (async () => {
      for await (const _ of tts.synthesize("Hi.", { signal: new AbortController().signal })) {
        // no audio expected
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "timeout", code: "elevenlabs_timeout" });
    expect((error as Error).message).toMatch(
      /no answer within 300 ms \(option connectTimeoutMs\).*gave up after 2 attempts/,
    );
  });

  it("a refused key is an auth error naming ELEVENLABS_API_KEY, not retried", async () => {
    const el = await fake();
    const tts = model({ apiKey: "wrong" });
    const error = await (async () => {
      for await (const _ of tts.synthesize("Hi.", { signal: new AbortController().signal })) {
        // no audio expected
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "auth", status: 401, code: "elevenlabs_auth" });
    expect((error as Error).message).toMatch(/Invalid API key.*ELEVENLABS_API_KEY/);
    expect(el.requests).toHaveLength(1);
  });
});

describe("elevenlabs.TTS warm-up and configuration", () => {
  it("fails warm-up naming ELEVENLABS_API_KEY when there is no key", async () => {
    await fake();
    const tts = new TTS({ baseUrl: server!.baseUrl }, {});
    models.push(tts);
    const error = await tts.warmup().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/ELEVENLABS_API_KEY/);
  });

  it("fails warm-up on a refused key or an unknown voice, in ElevenLabs' words", async () => {
    await fake();
    const badKey = await model({ apiKey: "wrong" })
      .warmup()
      .catch((e: unknown) => e);
    expect(badKey).toMatchObject({ kind: "auth", status: 401 });
    expect((badKey as Error).message).toMatch(/Invalid API key.*ELEVENLABS_API_KEY/);
    const badVoice = await model({ voiceId: "nobody" })
      .warmup()
      .catch((e: unknown) => e);
    expect(badVoice).toMatchObject({ code: "elevenlabs_voice_not_found", retryable: false });
    expect((badVoice as Error).message).toMatch(/nobody.*Check the voiceId option/);
    await model().warmup();
  });

  it("takes the key and the service from ELEVENLABS_API_KEY and ELEVENLABS_BASE_URL", async () => {
    const el = await fake();
    const tts = new TTS({}, { ELEVENLABS_API_KEY: el.apiKey, ELEVENLABS_BASE_URL: el.baseUrl });
    models.push(tts);
    await tts.warmup();
    expect(el.requests[0]!.headers["xi-api-key"]).toBe(el.apiKey);
  });

  it("checks its options with messages that name them", () => {
    expect(() => new TTS({ outputSampleRateHz: 48000 as 24000 }, {})).toThrow(
      /outputSampleRateHz must be one of/,
    );
    expect(() => new TTS({ inactivityTimeoutS: 300 }, {})).toThrow(/inactivityTimeoutS/);
    expect(() => new TTS({ chunkLengthSchedule: [20] }, {})).toThrow(/50 to 500/);
    expect(() => new TTS({ voiceSettings: { speed: 2 } }, {})).toThrow(/speed must be from 0.7 to 1.2/);
    expect(() => new TTS({ streaming: "fast" as StreamingMode }, {})).toThrow(/streaming/);
    expect(() => new TTS({ voiceId: "a/b" }, {})).toThrow(/voiceId/);
    expect(new TTS({}, {}).outputSampleRateHz).toBe(24000);
  });
});
