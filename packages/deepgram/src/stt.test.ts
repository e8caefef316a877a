// deepgram.STT against the fake Deepgram service (test/fakes/deepgram-server.ts): the wire it
// speaks, the parts it yields, how it answers flush(), keeps idle sockets open, reconnects, and
// fails with errors that say what to do.
import { type AudioFrame, audioFrame, ConfigError, ProviderError, type SttPart } from "callwright";
import { concat, silence, speechLike } from "callwright/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeDeepgramServer, startFakeDeepgram } from "../../../test/fakes/deepgram-server.js";
import type { STTSettings } from "./options.js";
import { STT } from "./stt.js";

let server: FakeDeepgramServer | undefined;
const models: STT[] = [];
afterEach(async () => {
  for (const model of models.splice(0)) await model.close();
  await server?.close();
  server = undefined;
});

async function fake(options: Parameters<typeof startFakeDeepgram>[0] = {}): Promise<FakeDeepgramServer> {
  server = await startFakeDeepgram(options);
  return server;
}

function model(settings: STTSettings = {}, env: NodeJS.ProcessEnv = {}): STT {
  const stt = new STT(
    { apiKey: server!.apiKey, baseUrl: server!.baseUrl, ...settings },
    { DEEPGRAM_API_KEY: undefined, ...env },
  );
  models.push(stt);
  return stt;
}

/** `signal` cut into 20 ms frames, as the voice loop pushes them. */
function frames(signal: AudioFrame): AudioFrame[] {
  const step = Math.round(signal.sampleRateHz / 50);
  const out: AudioFrame[] = [];
  for (let i = 0; i < signal.samples.length; i += step) {
    out.push(audioFrame(signal.samples.slice(i, i + step), signal.sampleRateHz));
  }
  return out;
}

/** Speech of `speechMs` then `silenceMs` of silence, at 16 kHz. */
const utterance = (speechMs: number, silenceMs = 200) =>
  concat(speechLike({ durationMs: speechMs }), silence({ durationMs: silenceMs }));

/** Collects parts as they come; `until` waits for one that matches. */
function collect(stream: AsyncIterable<SttPart>) {
  const parts: SttPart[] = [];
  let error: unknown;
  const waiters: { match: (p: SttPart) => boolean; resolve: (p: SttPart) => void }[] = [];
  const done = (async () => {
    try {
      for await (const part of stream) {
        parts.push(part);
        for (const w of [...waiters]) {
          if (w.match(part)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(part);
          }
        }
      }
    } catch (e) {
      error = e;
    }
  })();
  return {
    parts,
    done,
    get error() {
      return error;
    },
    until(match: (p: SttPart) => boolean, timeoutMs = 5000): Promise<SttPart> {
      const found = parts.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching part in ${timeoutMs} ms; got ${JSON.stringify(parts)}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (p) => {
            clearTimeout(timer);
            resolve(p);
          },
        });
      });
    },
  };
}

const segmentEnd = (p: SttPart) => p.type === "final" && p.segmentEnd;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("deepgram.STT", () => {
  it("streams linear16 at the model's rate and answers flush() with one segment-ending final", async () => {
    const dg = await fake();
    dg.say("What time is it?");
    const stt = model();
    const stream = stt.stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(utterance(1000, 100))) stream.push(frame);
    stream.flush();
    const final = await got.until(segmentEnd);
    expect(final).toMatchObject({ type: "final", text: "What time is it?", segmentEnd: true });
    // Interims came first, growing with the audio.
    const interims = got.parts.filter((p) => p.type === "interim").map((p) => (p as { text: string }).text);
    expect(interims.length).toBeGreaterThan(1);
    expect(interims[0]!.length).toBeLessThan(interims.at(-1)!.length);
    const session = dg.sessions[0]!;
    expect(Object.fromEntries(session.query)).toMatchObject({
      model: "nova-3",
      encoding: "linear16",
      sample_rate: "16000",
      channels: "1",
      interim_results: "true",
      vad_events: "true",
      endpointing: "300",
      utterance_end_ms: "1000",
    });
    expect(session.headers.authorization).toBe(`Token ${dg.apiKey}`);
    expect(session.audioMs).toBe(1100); // every sample, at the declared rate
    expect(session.controls).toEqual(["Finalize"]);
    stream.end();
    await got.done;
    expect(got.parts.filter(segmentEnd)).toHaveLength(1);
  });

  it("says when speech starts and ends (SpeechStarted, speech_final, UtteranceEnd), once per utterance", async () => {
    const dg = await fake();
    dg.say("Hello there.");
    const stream = model({ endpointingMs: 200 }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    // Speech, then enough silence for Deepgram's endpointing and its 1 s UtteranceEnd.
    for (const frame of frames(concat(silence({ durationMs: 200 }), utterance(800, 1400))))
      stream.push(frame);
    await got.until((p) => p.type === "speech_ended");
    await sleep(100);
    stream.end();
    await got.done;
    const kinds = got.parts.map((p) => p.type).filter((t) => t !== "interim");
    expect(kinds).toEqual(["speech_started", "final", "speech_ended"]);
    expect(got.parts.find((p) => p.type === "final")).toMatchObject({
      text: "Hello there.",
      segmentEnd: false,
    });
    // The UtteranceEnd that followed said nothing new: no second speech_ended.
    expect(dg.sessions[0]!.sent.some((m) => m.type === "UtteranceEnd")).toBe(true);
  });

  it("a flush whose words Deepgram already finalized is answered at once, without waiting", async () => {
    const dg = await fake();
    dg.say("Good morning.");
    const stream = model({ endpointingMs: 100 }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(utterance(700, 300))) stream.push(frame);
    const final = await got.until((p) => p.type === "final");
    expect(final).toMatchObject({ text: "Good morning.", segmentEnd: false });
    // The endpointing final covered everything up to the end of the pushed audio.
    const flushedAt = performance.now();
    stream.flush();
    const end = await got.until(segmentEnd);
    expect(end).toMatchObject({ text: "", segmentEnd: true });
    expect(performance.now() - flushedAt).toBeLessThan(500);
    stream.end();
    await got.done;
  });

  it("settles a segment when Deepgram does not answer its Finalize (its answer is not guaranteed)", async () => {
    const dg = await fake({ finalizeMinAudioMs: 60_000 }); // never enough buffered audio to answer
    dg.say("Is anyone there?");
    const stream = model({ finalizeTimeoutMs: 300 }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(utterance(900, 60))) stream.push(frame);
    await got.until((p) => p.type === "interim" && p.text.split(" ").length >= 3);
    stream.flush();
    const end = await got.until(segmentEnd);
    // What was heard (the latest interim) settles the segment.
    expect(end.type === "final" && end.text.length).toBeGreaterThan(0);
    expect(dg.sessions[0]!.controls).toContain("Finalize");
    stream.end();
    await got.done;
    expect(got.parts.filter(segmentEnd)).toHaveLength(1);
  });

  it("answers flushes in order, one final each, across several segments", async () => {
    const dg = await fake({ interimEveryMs: 10_000 });
    dg.say("One.", "Two.", "Three.");
    const stream = model({ endpointingMs: false }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (let i = 0; i < 3; i++) {
      for (const frame of frames(utterance(400, 100))) stream.push(frame);
      stream.flush();
    }
    stream.flush(); // no audio since the last flush: answered with nothing, in its turn
    await got.until((p) => p.type === "final" && p.segmentEnd && p.text === "");
    expect(got.parts.filter(segmentEnd).map((p) => (p as { text: string }).text)).toEqual([
      "One.",
      "Two.",
      "Three.",
      "",
    ]);
    expect(dg.sessions[0]!.controls).toEqual(["Finalize", "Finalize", "Finalize"]);
    stream.end();
    await got.done;
  });

  it("sends KeepAlive while no audio flows, so Deepgram keeps the socket open", async () => {
    const dg = await fake({ idleTimeoutMs: 400 });
    dg.say("Still here.");
    const stream = model({ keepAliveIntervalMs: 100 }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    await dg.waitForSessions(1);
    await sleep(1000); // 2.5 idle timeouts without audio
    expect(dg.sessions).toHaveLength(1);
    expect(dg.sessions[0]!.socket.open).toBe(true);
    expect(dg.sessions[0]!.controls.filter((c) => c === "KeepAlive").length).toBeGreaterThanOrEqual(5);
    for (const frame of frames(utterance(600))) stream.push(frame);
    stream.flush();
    expect(await got.until(segmentEnd)).toMatchObject({ text: "Still here." });
    stream.end();
    await got.done;
  });

  it("reconnects by itself when Deepgram drops an idle stream (nothing lost), and goes on transcribing", async () => {
    const dg = await fake();
    dg.say("First.", "Second.");
    const stream = model().stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(utterance(500))) stream.push(frame);
    stream.flush();
    expect(await got.until(segmentEnd)).toMatchObject({ text: "First." });
    dg.sessions[0]!.socket.drop(); // the network breaks between turns
    const notice = await got.until((p) => p.type === "error");
    expect(notice).toMatchObject({ type: "error", recoverable: true });
    const second = await dg.waitForSessions(2);
    for (const frame of frames(utterance(500))) stream.push(frame);
    stream.flush();
    expect(await got.until((p) => segmentEnd(p) && p.type === "final" && p.text === "Second.")).toBeDefined();
    expect(second.audioMs).toBe(700); // the new socket heard the new speech, on a fresh timeline
    stream.end();
    await got.done;
    expect(got.error).toBeUndefined();
  });

  it("Deepgram's idle close (1011 NET-0001) of a stream that owes nothing is reported and repaired", async () => {
    const dg = await fake({ idleTimeoutMs: 200 });
    dg.say("Back again.");
    const stream = model({ keepAliveIntervalMs: 5000 }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    const notice = await got.until((p) => p.type === "error");
    expect(notice).toMatchObject({
      type: "error",
      recoverable: true,
      error: { code: "deepgram_idle_timeout" },
    });
    expect((notice as { error: Error }).error.message).toMatch(/no audio or KeepAlive for 10 s \(NET-0001/);
    await dg.waitForSessions(2);
    for (const frame of frames(utterance(500))) stream.push(frame);
    stream.flush();
    expect(await got.until(segmentEnd)).toMatchObject({ text: "Back again." });
    stream.end();
    await got.done;
  });

  it("leaves no timer or socket behind once a stream is over", async () => {
    const dg = await fake();
    dg.say("Done.");
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    await sleep(150); // Vitest's own 100 ms update timer fires first, so the count holds only ours
    const before = timeouts();
    const stream = model({ keepAliveIntervalMs: 50 }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(utterance(400))) stream.push(frame);
    stream.flush();
    await got.until(segmentEnd);
    expect(timeouts()).toBeGreaterThan(before); // KeepAlive, the fake's idle timer
    await sleep(120); // KeepAlive timers armed and re-armed
    stream.end();
    await got.done;
    await dg.sessions[0]!.socket.closed;
    await sleep(20);
    expect(timeouts()).toBe(before);
  });

  it("a drop that loses unanswered speech ends the stream with a retryable error; a new stream hearing it again gets its words", async () => {
    const dg = await fake();
    dg.say("Book a table for two.");
    const audio = frames(utterance(1200, 100));
    const stt = model();
    const stream = stt.stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of audio.slice(0, 30)) stream.push(frame);
    await got.until((p) => p.type === "interim");
    dg.sessions[0]!.socket.drop();
    await got.done;
    const failure = got.parts.at(-1);
    expect(failure).toMatchObject({ type: "error", recoverable: false });
    const error = (failure as { error: Error }).error as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.retryable).toBe(true);
    // What the voice loop does next: a new stream, the unanswered audio again, the flush again.
    const again = stt.stream({ signal: new AbortController().signal });
    const got2 = collect(again);
    for (const frame of audio) again.push(frame);
    again.flush();
    expect(await got2.until(segmentEnd)).toMatchObject({ text: "Book a table for two." });
    again.end();
    await got2.done;
  });

  it("Deepgram's own failure mid-speech (close 1011 NET-0000) ends the stream with a retryable server error", async () => {
    const dg = await fake();
    const stream = model().stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(speechLike({ durationMs: 300 }))) stream.push(frame);
    const session = await dg.waitForSessions(1);
    while (session.audioMs < 300) await sleep(5);
    session.socket.close(1011, "NET-0000");
    await got.done;
    expect(got.parts.at(-1)).toMatchObject({
      type: "error",
      recoverable: false,
      error: { kind: "server", status: 1011, retryable: true },
    });
  });

  it("a handshake slower than connectTimeoutMs ends the stream with a timeout error that names the option", async () => {
    const dg = await fake();
    dg.faults.firstByteDelayMs = 500;
    const stream = model({ connectTimeoutMs: 100 }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push(speechLike({ durationMs: 20 }));
    await got.done;
    expect(got.parts).toHaveLength(1);
    expect(got.parts[0]).toMatchObject({
      type: "error",
      recoverable: false,
      error: { kind: "timeout", retryable: true },
    });
    expect((got.parts[0] as { error: Error }).error.message).toMatch(
      /within 100 ms \(option connectTimeoutMs\)/,
    );
  });

  it("end() sends CloseStream; the iterator ends after Deepgram's last results and Metadata", async () => {
    const dg = await fake();
    dg.say("Goodbye.");
    const stream = model().stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(utterance(500, 0))) stream.push(frame);
    stream.end();
    await got.done;
    const session = dg.sessions[0]!;
    expect(session.controls).toEqual(["CloseStream"]);
    expect(session.sent.at(-1)).toMatchObject({ type: "Metadata", duration: 0.5 });
    expect(got.parts.find((p) => p.type === "final")).toMatchObject({ text: "Goodbye." });
    expect(await session.socket.closed).toMatchObject({ code: 1000 });
    expect(() => stream.push(silence({ durationMs: 20 }))).toThrow(/after end/);
  });

  it("aborting the signal closes the socket and the iterator throws AbortError", async () => {
    const dg = await fake();
    const controller = new AbortController();
    const stream = model().stream({ signal: controller.signal });
    const got = collect(stream);
    for (const frame of frames(speechLike({ durationMs: 200 }))) stream.push(frame);
    const session = await dg.waitForSessions(1);
    while (session.audioMs < 200) await sleep(5); // the socket is open and carried the audio
    controller.abort();
    await got.done;
    expect((got.error as Error).name).toBe("AbortError");
    expect((await dg.sessions[0]!.socket.closed).code).toBe(1000);
  });

  it("Deepgram rejecting the audio (DATA-0000) is a non-retryable error that says what it expected", async () => {
    const dg = await fake();
    dg.rejectNextAudio();
    const stream = model().stream({ signal: new AbortController().signal });
    const got = collect(stream);
    stream.push(speechLike({ durationMs: 20 }));
    await got.done;
    const last = got.parts.at(-1) as { type: "error"; error: ProviderError; recoverable: boolean };
    expect(last.recoverable).toBe(false);
    expect(last.error.code).toBe("deepgram_audio_rejected");
    expect(last.error.retryable).toBe(false);
    expect(last.error.message).toMatch(/16-bit linear PCM, mono, at 16000 Hz/);
  });

  it("skips a malformed message with a recoverable error and goes on", async () => {
    const dg = await fake({ interimEveryMs: 10_000 });
    dg.say("Still works.");
    dg.faults.malformedNext = true;
    const stream = model({ vadEvents: true }).stream({ signal: new AbortController().signal });
    const got = collect(stream);
    for (const frame of frames(utterance(500))) stream.push(frame);
    stream.flush();
    const end = await got.until(segmentEnd);
    expect(got.parts[0]).toMatchObject({ type: "error", recoverable: true });
    // The malformed message took SpeechStarted's place; the transcript itself is intact.
    expect(end).toMatchObject({ text: "Still works." });
    stream.end();
    await got.done;
  });

  it("rejects frames at another rate with a clear error", async () => {
    await fake();
    const stream = model().stream({ signal: new AbortController().signal });
    expect(() => stream.push(silence({ durationMs: 20, sampleRateHz: 48000 }))).toThrow(
      /mono PCM at 16000 Hz \(inputSampleRateHz\), got 1 channel\(s\) at 48000 Hz/,
    );
    stream.end();
  });

  it("sends the options on the query: language, keyterms (keyterm on nova-3, keywords before), formatting", async () => {
    const dg = await fake();
    const s1 = model({ keyterms: ["callwright", "Deepgram"], smartFormat: true }).stream({
      signal: new AbortController().signal,
      language: "en-GB",
    });
    const s2 = model({ model: "nova-2", keyterms: ["callwright"], language: "fr", punctuate: false }).stream({
      signal: new AbortController().signal,
      language: "en-GB",
    });
    await dg.waitForSessions(2);
    const byModel = (m: string) => dg.sessions.find((s) => s.query.get("model") === m)!.query;
    expect(byModel("nova-3").getAll("keyterm")).toEqual(["callwright", "Deepgram"]);
    expect(byModel("nova-3").get("language")).toBe("en-GB");
    expect(byModel("nova-3").get("smart_format")).toBe("true");
    expect(byModel("nova-2").getAll("keywords")).toEqual(["callwright"]);
    expect(byModel("nova-2").get("language")).toBe("fr"); // the model's own option wins
    expect(byModel("nova-2").get("punctuate")).toBe("false");
    s1.end();
    s2.end();
  });
});

describe("deepgram.STT warm-up and configuration", () => {
  it("fails warm-up naming DEEPGRAM_API_KEY when there is no key", async () => {
    await fake();
    const stt = new STT({ baseUrl: server!.baseUrl }, {});
    models.push(stt);
    const error = await stt.warmup().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/DEEPGRAM_API_KEY/);
  });

  it("fails warm-up with Deepgram's own words when the key is refused (401)", async () => {
    const dg = await fake();
    const error = await model({ apiKey: "wrong" })
      .warmup()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "auth", status: 401, code: "deepgram_auth", retryable: false });
    expect((error as Error).message).toMatch(/Invalid credentials.*Check DEEPGRAM_API_KEY/);
    expect(dg.sessions).toHaveLength(0);
  });

  it("fails warm-up on an option Deepgram refuses (400), and passes with good ones without sending audio", async () => {
    const dg = await fake();
    const error = await model({ model: "nova-9" })
      .warmup()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "bad_request", status: 400 });
    expect((error as Error).message).toMatch(/No such model/);
    await model().warmup();
    expect(dg.sessions).toHaveLength(1);
    expect(dg.sessions[0]!.controls).toEqual(["CloseStream"]);
    expect(dg.sessions[0]!.audioBytes).toBe(0);
  });

  it("a stream refused at the handshake ends with a non-recoverable auth error part", async () => {
    await fake();
    const stream = model({ apiKey: "wrong" }).stream({ signal: new AbortController().signal });
    const parts: SttPart[] = [];
    for await (const part of stream) parts.push(part);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ type: "error", recoverable: false, error: { kind: "auth" } });
  });

  it("takes the key and the service from DEEPGRAM_API_KEY and DEEPGRAM_BASE_URL", async () => {
    const dg = await fake();
    const stt = new STT({}, { DEEPGRAM_API_KEY: dg.apiKey, DEEPGRAM_BASE_URL: dg.baseUrl });
    models.push(stt);
    expect(stt.baseUrl).toBe(dg.baseUrl);
    await stt.warmup();
    expect(dg.sessions[0]!.headers.authorization).toBe(`Token ${dg.apiKey}`);
  });

  it("checks its options with messages that name them", () => {
    expect(() => new STT({ inputSampleRateHz: 44_100.5 }, {})).toThrow(/inputSampleRateHz/);
    expect(() => new STT({ utteranceEndMs: 500 }, {})).toThrow(/utteranceEndMs.*1000/);
    expect(() => new STT({ interimResults: false, utteranceEndMs: 1000 }, {})).toThrow(
      /needs interimResults/,
    );
    expect(new STT({ interimResults: false }, {}).modelId).toBe("nova-3"); // UtteranceEnd just goes off
    expect(() => new STT({ keepAliveIntervalMs: 12_000 }, {})).toThrow(/under 10000/);
    expect(() => new STT({ baseUrl: "ftp://x" }, {})).toThrow(/http/);
    expect(() => new STT({ keyterms: [""] }, {})).toThrow(/keyterms/);
  });
});
