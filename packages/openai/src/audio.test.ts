import { type AudioFrame, ConfigError, isAbortError, ProviderError, type SttPart } from "callwright";
import { silence, speechLike } from "callwright/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAudioServer, startFakeOpenAIAudio } from "../../../test/fakes/openai-audio-server.js";
import { STT, type STTSettings } from "./stt.js";
import { TTS, type TTSSettings } from "./tts.js";

let server: FakeAudioServer;
beforeEach(async () => {
  server = await startFakeOpenAIAudio({ msPerChar: 10 });
});
afterEach(async () => {
  await server.close();
});

const stt = (settings: STTSettings = {}) =>
  new STT({ baseUrl: server.baseUrl, retryBaseDelayMs: 1, ...settings }, {});
const tts = (settings: TTSSettings = {}) =>
  new TTS({ baseUrl: server.baseUrl, retryBaseDelayMs: 1, ...settings }, {});

/** Pushes `frame` in 20 ms pieces. */
function pushAll(stream: { push(f: AudioFrame): void }, frame: AudioFrame) {
  const n = frame.sampleRateHz / 50;
  for (let at = 0; at < frame.samples.length; at += n)
    stream.push({ ...frame, samples: frame.samples.subarray(at, at + n) });
}
const speech = (ms: number) => speechLike({ durationMs: ms, sampleRateHz: 16_000 });

async function reader(stream: AsyncIterable<SttPart>) {
  const parts: SttPart[] = [];
  const done = (async () => {
    for await (const part of stream) parts.push(part);
  })();
  return { parts, done };
}

async function speak(model: TTS, text: string, signal = new AbortController().signal) {
  const frames: AudioFrame[] = [];
  for await (const frame of model.synthesize(text, { signal })) frames.push(frame);
  return frames;
}
const durationMs = (frames: readonly AudioFrame[]) =>
  frames.reduce((ms, f) => ms + (f.samples.length * 1000) / f.sampleRateHz / f.channels, 0);

describe("openai.STT against a fake audio API", () => {
  it("sends each segment as a WAV on flush, streams the deltas as interim text, then the final", async () => {
    server.transcribe("what time is it");
    const model = stt({ prompt: "callwright" });
    const stream = model.stream({ signal: new AbortController().signal, language: "en-US" });
    const { parts, done } = await reader(stream);
    pushAll(stream, speech(500));
    expect(server.requests).toHaveLength(0); // nothing is sent before the segment ends
    stream.flush();
    stream.end();
    await done;
    expect(parts).toEqual([
      { type: "interim", text: "what" },
      { type: "interim", text: "what time" },
      { type: "interim", text: "what time is" },
      { type: "interim", text: "what time is it" },
      { type: "final", text: "what time is it", segmentEnd: true },
    ]);
    const [request] = server.requests;
    expect(request?.path).toBe("/v1/audio/transcriptions");
    expect(request?.fields).toEqual({
      model: "gpt-4o-mini-transcribe",
      response_format: "json",
      stream: "true",
      language: "en",
      prompt: "callwright",
    });
    expect(request?.audio).toEqual({ sampleRateHz: 16_000, channels: 1, bitsPerSample: 16, durationMs: 500 });
    expect(request?.headers.authorization).toBeUndefined();
  });

  it("reads a JSON answer from a server that does not stream (whisper-1 ignores stream=true)", async () => {
    server.transcribe("hello there", "second one");
    const stream = stt({ model: "whisper-1" }).stream({ signal: new AbortController().signal });
    const { parts, done } = await reader(stream);
    pushAll(stream, speech(300));
    stream.flush();
    pushAll(stream, speech(300));
    stream.flush();
    stream.end();
    await done;
    expect(parts).toEqual([
      { type: "final", text: "hello there", segmentEnd: true },
      { type: "final", text: "second one", segmentEnd: true },
    ]);
  });

  it("answers a segment under minSegmentMs with an empty final, without a request", async () => {
    const stream = stt().stream({ signal: new AbortController().signal });
    const { parts, done } = await reader(stream);
    pushAll(stream, silence({ durationMs: 60, sampleRateHz: 16_000 }));
    stream.flush();
    stream.end();
    await done;
    expect(parts).toEqual([{ type: "final", text: "", segmentEnd: true }]);
    expect(server.requests).toHaveLength(0);
  });

  it("sends a monologue longer than maxSegmentMs in pieces, the last one answering the flush", async () => {
    server.transcribe("first piece", "second piece");
    const stream = stt({ maxSegmentMs: 400 }).stream({ signal: new AbortController().signal });
    const { parts, done } = await reader(stream);
    pushAll(stream, speech(600));
    stream.flush();
    stream.end();
    await done;
    expect(parts.filter((p) => p.type === "final")).toEqual([
      { type: "final", text: "first piece", segmentEnd: false },
      { type: "final", text: "second piece", segmentEnd: true },
    ]);
    expect(server.requests.map((r) => r.audio?.durationMs)).toEqual([400, 200]);
  });

  it("retries a 429 and a 500 before the answer starts", async () => {
    server.transcribe(
      {
        kind: "json",
        status: 429,
        body: { error: { message: "Rate limit" } },
        headers: { "retry-after-ms": "30" },
      },
      { kind: "json", status: 500, body: { error: { message: "boom", type: "server_error" } } },
      "third time",
    );
    const stream = stt({ model: "whisper-1" }).stream({ signal: new AbortController().signal });
    const { parts, done } = await reader(stream);
    pushAll(stream, speech(200));
    stream.flush();
    stream.end();
    await done;
    expect(parts).toEqual([{ type: "final", text: "third time", segmentEnd: true }]);
    expect(server.requests).toHaveLength(3);
  });

  it("ends the stream with an error part when the key is refused (the loop re-opens and replays)", async () => {
    await server.close();
    server = await startFakeOpenAIAudio({ apiKey: "sk-right" });
    const stream = stt({ apiKey: "sk-wrong" }).stream({ signal: new AbortController().signal });
    const { parts, done } = await reader(stream);
    pushAll(stream, speech(200));
    stream.flush();
    await done;
    expect(parts).toHaveLength(1);
    const error = (parts[0] as Extract<SttPart, { type: "error" }>).error as ProviderError;
    expect(parts[0]).toMatchObject({ type: "error", recoverable: false });
    expect([error.code, error.status]).toEqual(["stt_auth", 401]);
    expect(error.message).toMatch(/Incorrect API key.*Check OPENAI_STT_API_KEY or OPENAI_API_KEY/);
    expect(error.message).not.toContain("sk-wrong");
  });

  it("reports a transcript cut mid-stream as an interruption", async () => {
    server.transcribe({ kind: "drop_mid_stream", deltas: ["half "] });
    const stream = stt().stream({ signal: new AbortController().signal });
    const { parts, done } = await reader(stream);
    pushAll(stream, speech(200));
    stream.flush();
    await done;
    expect(parts[0]).toEqual({ type: "interim", text: "half" });
    expect(((parts.at(-1) as Extract<SttPart, { type: "error" }>).error as ProviderError).code).toBe(
      "stt_stream_interrupted",
    );
  });

  it("closes the request in flight when aborted, and refuses audio at another rate", async () => {
    server.transcribe({ kind: "hang" });
    const controller = new AbortController();
    const stream = stt().stream({ signal: controller.signal });
    const { parts, done } = await reader(stream);
    expect(() => stream.push(speechLike({ durationMs: 20, sampleRateHz: 48_000 }))).toThrow(/mono 16000 Hz/);
    pushAll(stream, speech(200));
    stream.flush();
    const [request] = await server.waitFor("/v1/audio/transcriptions", 1);
    controller.abort();
    await done;
    await request?.finished;
    expect(request?.clientAborted).toBe(true);
    expect(parts).toEqual([]);
  });

  it("warms up against GET /models and names a refused key", async () => {
    await stt().warmup();
    expect(server.requests.at(-1)?.path).toBe("/v1/models");
    await server.close();
    server = await startFakeOpenAIAudio({ apiKey: "k" });
    await expect(stt({ apiKey: "nope" }).warmup()).rejects.toMatchObject({ code: "stt_auth" });
  });
});

describe("openai.TTS against a fake audio API", () => {
  it("streams raw 24 kHz PCM into frames as it arrives, a split sample put back together", async () => {
    await server.close();
    server = await startFakeOpenAIAudio({ msPerChar: 10, chunkDelayMs: 30 });
    const model = tts({ speed: 1.2, instructions: "Cheerful." });
    const frames: AudioFrame[] = [];
    let answerEndedBeforeFirstFrame: boolean | undefined;
    for await (const frame of model.synthesize("Hello there, a longer one.", {
      signal: new AbortController().signal,
    })) {
      if (frames.length === 0) {
        let ended = false;
        void server.requests[0]?.finished.then(() => {
          ended = true;
        });
        await Promise.resolve();
        answerEndedBeforeFirstFrame = ended;
      }
      frames.push(frame);
    }
    // The first frame came while the server was still sending the rest.
    expect(answerEndedBeforeFirstFrame).toBe(false);
    expect(frames.every((f) => f.sampleRateHz === 24_000 && f.channels === 1)).toBe(true);
    expect(durationMs(frames)).toBeCloseTo(260, 6);
    expect(server.requests[0]?.fields).toEqual({
      model: "gpt-4o-mini-tts",
      input: "Hello there, a longer one.",
      voice: "alloy",
      response_format: "pcm",
      speed: "1.2",
      instructions: "Cheerful.",
    });
    // The tone survived the odd byte splits: no sample is garbage.
    const peak = Math.max(...frames.flatMap((f) => Array.from(f.samples, (s) => Math.abs(s))));
    expect(peak).toBeLessThanOrEqual(6000);
    expect(peak).toBeGreaterThan(5000);
  });

  it("reads the rate from a streamed WAV's header (sizes unknown), whatever outputSampleRateHz says", async () => {
    const frames = await speak(tts({ responseFormat: "wav", outputSampleRateHz: 16_000 }), "Hi.");
    expect(frames.every((f) => f.sampleRateHz === 24_000)).toBe(true);
    expect(durationMs(frames)).toBeCloseTo(30, 6);
  });

  it("says nothing, without a request, for empty text", async () => {
    expect(await speak(tts(), "   ")).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it("drops the request at once on abort mid-audio (barge-in)", async () => {
    server.speak({ kind: "speech" });
    const controller = new AbortController();
    const frames: AudioFrame[] = [];
    const consume = async () => {
      for await (const frame of tts().synthesize("A long sentence to speak.", {
        signal: controller.signal,
      })) {
        frames.push(frame);
        controller.abort();
      }
    };
    await expect(consume()).rejects.toSatisfy(isAbortError);
    expect(frames).toHaveLength(1);
    await server.requests[0]?.finished;
    expect(server.requests[0]?.clientAborted).toBe(true);
  });

  it("retries a 429 before the audio starts; a connection cut mid-audio is an interruption", async () => {
    server.speak({
      kind: "json",
      status: 429,
      body: { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } },
      headers: { "retry-after-ms": "40" },
    });
    expect(durationMs(await speak(tts(), "Retry."))).toBeCloseTo(60, 6);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(35);
    server.speak({ kind: "drop_mid_audio" });
    const frames: AudioFrame[] = [];
    const error = await (async () => {
      for await (const frame of tts().synthesize("Half of this is heard.", {
        signal: new AbortController().signal,
      })) {
        frames.push(frame);
      }
    })().catch((e: unknown) => e);
    expect(frames.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("tts_stream_interrupted");
  });

  it("times out a server that never answers, after its retries", async () => {
    server.speak({ kind: "hang" }, { kind: "hang" });
    const error = await speak(tts({ firstByteTimeoutMs: 80, maxRetries: 1 }), "Hi.").catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe("tts_timeout");
    expect((error as ProviderError).message).toMatch(
      /no response headers for 80 ms .*gave up after 2 attempts/,
    );
  });
});

describe("openai audio settings from the environment", () => {
  it("takes each kind's own server, then OPENAI_BASE_URL, then OpenAI's", () => {
    const env = {
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
      OPENAI_STT_BASE_URL: "http://127.0.0.1:8000/v1/",
    };
    const a = new STT({}, env);
    expect([a.baseUrl, a.baseUrlSource]).toEqual(["http://127.0.0.1:8000/v1", "OPENAI_STT_BASE_URL"]);
    const b = new TTS({}, env);
    expect([b.baseUrl, b.baseUrlSource]).toEqual(["http://127.0.0.1:11434/v1", "OPENAI_BASE_URL"]);
    const c = new TTS({}, { OPENAI_API_KEY: "sk-x" });
    expect([c.baseUrl, c.modelId, c.voice, c.outputSampleRateHz]).toEqual([
      "https://api.openai.com/v1",
      "gpt-4o-mini-tts",
      "alloy",
      24_000,
    ]);
    const d = new TTS(
      {},
      {
        OPENAI_TTS_BASE_URL: "http://127.0.0.1:8880/v1",
        OPENAI_TTS_MODEL: "kokoro",
        OPENAI_TTS_VOICE: "af_heart",
      },
    );
    expect([d.modelId, d.voice]).toEqual(["kokoro", "af_heart"]);
    expect(
      new STT({}, { OPENAI_STT_BASE_URL: "http://x/v1", OPENAI_STT_MODEL: "Systran/faster-whisper-small" })
        .modelId,
    ).toBe("Systran/faster-whisper-small");
  });

  it("needs a key for OpenAI's own API, naming the variables", () => {
    expect(() => new STT({}, {})).toThrow(ConfigError);
    expect(() => new STT({}, {})).toThrow(/set OPENAI_API_KEY \(or OPENAI_STT_API_KEY\)/);
    expect(() => new TTS({}, {})).toThrow(/OPENAI_TTS_API_KEY/);
  });

  it("never sends OPENAI_API_KEY to a speech server on another origin", async () => {
    server.speak({ kind: "speech" }, { kind: "speech" }, { kind: "speech" });
    const elsewhere = { OPENAI_API_KEY: "sk-llm", OPENAI_TTS_BASE_URL: server.baseUrl };
    await speak(new TTS({}, elsewhere), "a");
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    await speak(new TTS({}, { ...elsewhere, OPENAI_TTS_API_KEY: "sk-speech" }), "a");
    expect(server.requests[1]?.headers.authorization).toBe("Bearer sk-speech");
    await speak(new TTS({}, { OPENAI_API_KEY: "sk-llm", OPENAI_BASE_URL: server.baseUrl }), "a");
    expect(server.requests[2]?.headers.authorization).toBe("Bearer sk-llm");
  });

  it("rejects bad options with their names", () => {
    expect(() => tts({ speed: 9 })).toThrow(/speed/);
    expect(() => tts({ responseFormat: "mp3" as never })).toThrow(/responseFormat/);
    expect(() => stt({ inputSampleRateHz: 100 })).toThrow(/inputSampleRateHz/);
    expect(() => new STT({ baseUrl: "localhost:8000" }, {})).toThrow(/not a URL|http/);
  });
});
