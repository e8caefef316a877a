// The audio fake checked with OpenAI's official SDK (`openai`) pointed at it by base URL: the
// SDK must get what it expects from transcriptions (JSON and streamed) and from speech.
import OpenAI, { toFile } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeAudioServer, startFakeOpenAIAudio } from "./openai-audio-server.js";

let server: FakeAudioServer;
afterEach(async () => {
  await server?.close();
});

/** `ms` of a 16 kHz mono WAV. */
function wav(ms: number, rate = 16_000): Buffer {
  const samples = Math.round((ms * rate) / 1000);
  const out = Buffer.alloc(44 + samples * 2);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write("WAVEfmt ", 8, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(samples * 2, 40);
  return out;
}

const client = () => new OpenAI({ apiKey: "sk-test", baseURL: server.baseUrl, maxRetries: 0 });

describe("fake OpenAI audio API, through the official SDK", () => {
  it("transcribes a WAV upload, answering JSON, and records the multipart fields", async () => {
    server = await startFakeOpenAIAudio({ apiKey: "sk-test" });
    server.transcribe("hello from the fake");
    const result = await client().audio.transcriptions.create({
      file: await toFile(wav(500), "speech.wav", { type: "audio/wav" }),
      model: "whisper-1",
      language: "en",
    });
    expect(result.text).toBe("hello from the fake");
    expect(server.requests[0]?.fields).toMatchObject({ model: "whisper-1", language: "en" });
    expect(server.requests[0]?.audio).toEqual({
      sampleRateHz: 16_000,
      channels: 1,
      bitsPerSample: 16,
      durationMs: 500,
    });
  });

  it("streams transcript.text.delta and transcript.text.done events to a streaming model", async () => {
    server = await startFakeOpenAIAudio();
    server.transcribe("one two three");
    const stream = await client().audio.transcriptions.create({
      file: await toFile(wav(300), "speech.wav", { type: "audio/wav" }),
      model: "gpt-4o-mini-transcribe",
      stream: true,
    });
    const events: { type: string; delta?: string; text?: string }[] = [];
    for await (const event of stream) events.push(event as never);
    expect(events.map((e) => e.type)).toEqual([
      "transcript.text.delta",
      "transcript.text.delta",
      "transcript.text.delta",
      "transcript.text.done",
    ]);
    expect(
      events
        .slice(0, 3)
        .map((e) => e.delta)
        .join(""),
    ).toBe("one two three");
    expect(events.at(-1)?.text).toBe("one two three");
  });

  it("refuses audio under 0.1 s and a file that is not audio, as OpenAI does", async () => {
    server = await startFakeOpenAIAudio();
    const short = await client()
      .audio.transcriptions.create({ file: await toFile(wav(50), "a.wav"), model: "whisper-1" })
      .catch((e: unknown) => e);
    expect(short).toBeInstanceOf(OpenAI.BadRequestError);
    expect((short as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(
      /Minimum audio length is 0.1 seconds/,
    );
    const text = await client()
      .audio.transcriptions.create({ file: await toFile(Buffer.from("hello"), "a.txt"), model: "whisper-1" })
      .catch((e: unknown) => e);
    expect((text as Error).message).toMatch(/Invalid file format/);
  });

  it("streams speech as raw 24 kHz PCM, its length set by the text", async () => {
    server = await startFakeOpenAIAudio({ msPerChar: 10 });
    const response = await client().audio.speech.create({
      model: "gpt-4o-mini-tts",
      voice: "alloy",
      input: "Hello world.",
      response_format: "pcm",
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(Math.round(0.12 * 24_000) * 2);
    expect(server.requests[0]?.fields).toMatchObject({
      model: "gpt-4o-mini-tts",
      voice: "alloy",
      response_format: "pcm",
    });
  });

  it("answers 401 to a wrong key and 429 for the rate-limit fault", async () => {
    server = await startFakeOpenAIAudio({ apiKey: "sk-right" });
    const wrong = await client()
      .audio.speech.create({ model: "tts-1", voice: "alloy", input: "hi", response_format: "pcm" })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    await server.close();
    server = await startFakeOpenAIAudio();
    server.faults.rateLimitNext = 1;
    const limited = await client()
      .audio.speech.create({ model: "tts-1", voice: "alloy", input: "hi", response_format: "pcm" })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
  });
});
