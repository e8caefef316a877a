import {
  Agent,
  type AgentUiEvent,
  type AudioFrame,
  frameRms,
  ProviderError,
  type RealtimeEvent,
  type RealtimeSession,
  tool,
  videoFrame,
} from "callwright";
import { concat, FakeEdge, nextEvent, silence, speechLike } from "callwright/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { FakeGeminiLive } from "../../../../test/fakes/gemini-live-server.js";
import { Realtime } from "./realtime.js";

let fake: FakeGeminiLive;
beforeEach(async () => {
  fake = await FakeGeminiLive.start();
});
afterEach(async () => {
  await fake.close();
});

const model = (settings: ConstructorParameters<typeof Realtime>[0] = {}) =>
  new Realtime({ baseUrl: fake.baseUrl, apiKey: fake.apiKey, reconnectBaseDelayMs: 10, ...settings }, {});

/** Speech then silence, at `rate`. */
const utterance = (rate: number, speechMs = 600, silenceMs = 800) =>
  concat(
    speechLike({ durationMs: speechMs, sampleRateHz: rate }),
    silence({ durationMs: silenceMs, sampleRateHz: rate }),
  );

function pushAll(session: RealtimeSession, audio: AudioFrame, frameMs = 20): void {
  const size = (audio.sampleRateHz * frameMs) / 1000;
  for (let i = 0; i < audio.samples.length; i += size) {
    session.pushAudio({
      samples: audio.samples.subarray(i, i + size),
      sampleRateHz: audio.sampleRateHz,
      channels: 1,
    });
  }
}

/** Events until (and with) the first that matches. */
async function until(
  iterator: AsyncIterator<RealtimeEvent>,
  match: (e: RealtimeEvent) => boolean,
  timeoutMs = 5000,
): Promise<RealtimeEvent[]> {
  const events: RealtimeEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const next = await Promise.race([
      iterator.next(),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(1, deadline - Date.now()))),
    ]);
    if (next === "timeout") throw new Error(`timed out; got ${events.map((e) => e.type).join(", ")}`);
    if (next.done) throw new Error(`session ended; got ${events.map((e) => e.type).join(", ")}`);
    events.push(next.value);
    if (match(next.value)) return events;
  }
}

const opened: RealtimeSession[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
async function open(m = model(), tools: Parameters<Realtime["connect"]>[0]["tools"] = []) {
  const session = await m.connect({ instructions: "Be brief.", tools, signal: new AbortController().signal });
  opened.push(session);
  return { session, events: session[Symbol.asyncIterator]() };
}

describe("gemini.Realtime against a fake Live API", () => {
  it("sends the documented setup, streams 16 kHz audio, and yields the spoken answer at 24 kHz with transcripts and usage", async () => {
    fake.answers.push({ heard: "What's the time?", text: "It is noon.", audioMs: 400 });
    const { session, events } = await open(
      model({ voice: "Kore", language: "en-US", activityDetection: { silenceDurationMs: 500 } }),
      [{ name: "get_time", description: "Now", parameters: { type: "object", properties: {} } }],
    );
    expect(fake.setups[0]).toEqual({
      model: "models/gemini-2.5-flash-native-audio-preview-09-2025",
      generationConfig: {
        responseModalities: ["AUDIO"],
        speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Kore" } }, languageCode: "en-US" },
      },
      systemInstruction: { parts: [{ text: "Be brief." }] },
      tools: [
        {
          functionDeclarations: [{ name: "get_time", description: "Now" }],
        },
      ],
      realtimeInputConfig: { automaticActivityDetection: { disabled: false, silenceDurationMs: 500 } },
      inputAudioTranscription: {},
      outputAudioTranscription: {},
      sessionResumption: {},
      contextWindowCompression: { slidingWindow: {} },
    });
    expect(fake.server.sockets[0]!.url.searchParams.get("key")).toBe(fake.apiKey);
    pushAll(session, utterance(16000));
    const got = await until(events, (e) => e.type === "usage");
    const audio = got.filter((e) => e.type === "audio");
    const ms = audio.reduce((sum, e) => sum + (e.frame.samples.length * 1000) / e.frame.sampleRateHz, 0);
    expect(ms).toBe(400);
    expect(audio.every((e) => e.frame.sampleRateHz === 24000)).toBe(true);
    expect(Math.max(...audio.map((e) => frameRms(e.frame)))).toBeGreaterThan(0.1);
    expect(got.find((e) => e.type === "input_transcript" && e.final)).toMatchObject({
      text: "What's the time?",
    });
    const said = got.map((e) => (e.type === "output_transcript" ? e.delta : "")).join("");
    expect(said).toBe("It is noon.");
    expect(got.find((e) => e.type === "response_done")).toMatchObject({ reason: "completed" });
    expect(got.at(-1)).toEqual({ type: "usage", inputTokens: 120, outputTokens: 40 });
    expect(fake.audioInMs).toBeCloseTo(1400, 0);
  });

  it("yields a tool call and sends its result as a functionResponse; the answer follows", async () => {
    fake.answers.push({
      heard: "Weather in Paris?",
      text: "Sunny, 21 degrees.",
      toolCall: { name: "get_weather", args: { city: "Paris" } },
    });
    const { session, events } = await open();
    pushAll(session, utterance(16000));
    const got = await until(events, (e) => e.type === "tool_call");
    const call = got.at(-1) as Extract<RealtimeEvent, { type: "tool_call" }>;
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
    session.sendToolResult({ callId: call.id, name: call.name, output: '{"tempC":21}' });
    const rest = await until(events, (e) => e.type === "response_done");
    expect(rest.some((e) => e.type === "audio")).toBe(true);
    expect(fake.toolResponses).toEqual([
      { functionResponses: [{ id: call.id, name: "get_weather", response: { tempC: 21 } }] },
    ]);
  });

  it("speech over the answer: the server's `interrupted` is a speech start and ends the answer", async () => {
    fake.answers.push({
      heard: "Tell me a story",
      text: "Once upon a time there was a long story.",
      audioMs: 4000,
    });
    const { session, events } = await open();
    pushAll(session, utterance(16000));
    await until(events, (e) => e.type === "audio");
    pushAll(session, speechLike({ durationMs: 200, sampleRateHz: 16000 }));
    const got = await until(events, (e) => e.type === "response_done");
    expect(got.some((e) => e.type === "speech_started")).toBe(true);
    expect(got.at(-1)).toMatchObject({ reason: "interrupted" });
    expect(fake.interruptions).toBe(1);
  });

  it("a goAway moves the conversation to a new connection, resumed with the latest handle", async () => {
    const { session, events } = await open();
    pushAll(session, utterance(16000));
    await until(events, (e) => e.type === "response_done");
    await new Promise((r) => setTimeout(r, 50)); // the resumption handle follows turnComplete
    fake.goAway();
    const got = await until(events, (e) => e.type === "reconnected");
    expect(got.at(-1)).toEqual({ type: "reconnected", resumed: true });
    expect(fake.connections).toBe(2);
    expect(fake.resumed).toBe(1);
    expect((fake.setups[1]!.sessionResumption as { handle: string }).handle).toBe("fake-handle-1");
    // The conversation goes on over the new connection.
    pushAll(session, utterance(16000));
    await until(events, (e) => e.type === "response_done");
  });

  it("a connection dropped mid-answer: the answer ends, the error is reported as recoverable, the session reconnects", async () => {
    fake.dropMidAnswerAfterChunks = 3;
    const { session, events } = await open();
    pushAll(session, utterance(16000));
    const got = await until(events, (e) => e.type === "reconnected");
    expect(got.filter((e) => e.type === "audio")).toHaveLength(3);
    expect(got.find((e) => e.type === "response_done")).toMatchObject({ reason: "error" });
    expect(got.find((e) => e.type === "error")).toMatchObject({ recoverable: true });
    expect(got.at(-1)).toEqual({ type: "reconnected", resumed: false });
  });

  it("the server's internal error (close 1011) is recoverable: the session reconnects", async () => {
    const { events } = await open();
    fake.internalError();
    const got = await until(events, (e) => e.type === "reconnected");
    const error = got.find((e) => e.type === "error");
    expect(error).toMatchObject({ recoverable: true });
    expect((error as unknown as { error: ProviderError }).error.kind).toBe("server");
  });

  it("takes its key and server from GOOGLE_API_KEY and GEMINI_BASE_URL when no option is given", async () => {
    const session = await new Realtime(
      {},
      { GOOGLE_API_KEY: fake.apiKey, GEMINI_BASE_URL: fake.baseUrl },
    ).connect({
      instructions: "",
      tools: [],
      signal: new AbortController().signal,
    });
    await session.close();
    expect(fake.setups).toHaveLength(1);
  });

  it("a bad key is refused at connect with an auth error that names the variables", async () => {
    const error = await model({ apiKey: "wrong" })
      .connect({ instructions: "", tools: [], signal: new AbortController().signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("auth");
    expect((error as Error).message).toContain("GOOGLE_API_KEY");
  });
});

describe("the fake Live API, checked with Google's own SDK (@google/genai live.connect)", () => {
  it("completes the setup and answers text with audio the SDK decodes", async () => {
    const { GoogleGenAI, Modality } = await import("@google/genai");
    const ai = new GoogleGenAI({ apiKey: fake.apiKey, httpOptions: { baseUrl: fake.baseUrl } });
    const messages: {
      setupComplete?: unknown;
      serverContent?: { modelTurn?: unknown; turnComplete?: boolean };
    }[] = [];
    let done!: () => void;
    const turnComplete = new Promise<void>((r) => {
      done = r;
    });
    const session = await ai.live.connect({
      model: "gemini-2.5-flash-native-audio-preview-09-2025",
      config: { responseModalities: [Modality.AUDIO], systemInstruction: "Be brief." },
      callbacks: {
        onmessage: (m) => {
          messages.push(m as (typeof messages)[number]);
          if (m.serverContent?.turnComplete) done();
        },
      },
    });
    session.sendClientContent({ turns: [{ role: "user", parts: [{ text: "Hello" }] }], turnComplete: true });
    await turnComplete;
    session.close();
    expect(fake.setups[0]).toMatchObject({ model: "models/gemini-2.5-flash-native-audio-preview-09-2025" });
    expect(messages.some((m) => m.setupComplete !== undefined)).toBe(true);
    expect(messages.filter((m) => m.serverContent?.modelTurn !== undefined).length).toBeGreaterThan(0);
  });
});

describe("an Agent with gemini.Realtime in a call (fake edge, fake Live API)", () => {
  it("hears, answers with audio, runs a tool, is barged in on, and fills the metrics", async () => {
    const RATE = 48000;
    fake.answers.push(
      {
        heard: "What's the weather in Paris?",
        text: "It is sunny in Paris.",
        audioMs: 600,
        toolCall: { name: "get_weather", args: { city: "Paris" } },
      },
      {
        heard: "Tell me more",
        text: "Well, there is a lot to say about the weather today in Paris.",
        audioMs: 5000,
      },
    );
    const weather = tool({
      name: "get_weather",
      description: "Weather in a city",
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) => ({ city, sky: "sunny" }),
    });
    const edge = new FakeEdge({ outputSampleRateHz: RATE });
    const agent = new Agent({ edge, llm: model(), tools: [weather], instructions: "Be brief." });
    try {
      await agent.join(await agent.createCall("default", "gemini-rt"));
      const conn = edge.connection;
      const toolCalled = nextEvent(agent, "tool_call", undefined, { timeoutMs: 10_000 });
      const firstReply = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, {
        timeoutMs: 10_000,
      });
      const metrics = nextEvent(agent, "metrics", undefined, { timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 100)); // the session opens
      conn.feedAudio("alice", concat(silence({ durationMs: 200, sampleRateHz: RATE }), utterance(RATE)));
      const [record] = await toolCalled;
      expect(record).toMatchObject({ name: "get_weather", isError: false });
      const [reply] = await firstReply;
      expect(reply.text).toBe("It is sunny in Paris.");
      const [turn] = await metrics;
      expect(turn.e2eMs).not.toBeNull();
      expect(Math.max(...conn.played.map(frameRms))).toBeGreaterThan(0.1);
      expect(conn.played.every((f) => f.sampleRateHz === RATE)).toBe(true);
      // Second turn: talk over the long answer.
      conn.feedAudio("alice", utterance(RATE));
      await conn.waitForPlayed(600 + 300, { timeoutMs: 10_000 });
      const cut = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, { timeoutMs: 10_000 });
      conn.feedAudio("alice", speechLike({ durationMs: 300, sampleRateHz: RATE }));
      const [interrupted] = await cut;
      expect(conn.clears).toBeGreaterThanOrEqual(1);
      expect(interrupted.text.length).toBeLessThan(
        "Well, there is a lot to say about the weather today in Paris.".length,
      );
      expect(agent.history.find((m) => m.role === "assistant" && m.interrupted)).toBeDefined();
      const ui = conn.uiEvents as AgentUiEvent[];
      expect(
        ui.some(
          (e) => e.type === "transcript" && e.role === "user" && e.text === "What's the weather in Paris?",
        ),
      ).toBe(true);
      const s = agent.metrics.snapshot();
      expect(s.realtime_audio_input_bytes__total).toBeGreaterThan(0);
      expect(s.realtime_audio_output_duration_ms__total).toBeGreaterThan(600);
      expect(s.realtime_user_transcriptions__total).toBeGreaterThanOrEqual(2);
      expect(s.realtime_agent_transcriptions__total).toBeGreaterThanOrEqual(2);
      expect(s.llm_tool_calls__total).toBe(1);
      expect(s.llm_input_tokens__total).toBeGreaterThan(0);
      expect(s.interruptions__total).toBe(1);
      expect(s.turn_e2e_latency_ms__avg).not.toBeNull();
    } finally {
      await agent.close();
    }
  });
});

describe("an Agent with gemini.Realtime sees the call's video", () => {
  /** A flat 64×48 RGB picture. */
  const picture = (rgb: [number, number, number]) => {
    const data = new Uint8Array(64 * 48 * 3);
    for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
    return videoFrame(data, 64, 48);
  };

  it("a camera's stills reach the Live API as JPEG realtimeInput.video", async () => {
    const edge = new FakeEdge({ outputSampleRateHz: 48000 });
    const agent = new Agent({ edge, llm: model({ videoFps: 2 }) });
    try {
      await agent.join(await agent.createCall("default", "gemini-rt-video"));
      const conn = edge.connection;
      conn.join("alice");
      await new Promise((r) => setTimeout(r, 100)); // the session opens
      for (let i = 0; i < 3; i++) {
        conn.showVideo("alice", picture([0, 0, 255]));
        await new Promise((r) => setTimeout(r, 150));
      }
      await expect.poll(() => fake.videoFrames.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
      for (const frame of fake.videoFrames) {
        expect(frame.mimeType).toBe("image/jpeg");
        expect(frame.bytes).toBeGreaterThan(100);
      }
      expect(agent.metrics.snapshot().video_frames_processed__total).toBeGreaterThanOrEqual(2);
    } finally {
      await agent.close();
    }
  });

  it("videoFps 0: the model is blind, nothing is decoded or sent", async () => {
    const edge = new FakeEdge({ outputSampleRateHz: 48000 });
    const agent = new Agent({ edge, llm: model({ videoFps: 0 }) });
    try {
      await agent.join(await agent.createCall("default", "gemini-rt-blind"));
      edge.connection.join("alice");
      await new Promise((r) => setTimeout(r, 100));
      edge.connection.showVideo("alice", picture([255, 0, 0]));
      await new Promise((r) => setTimeout(r, 300));
      expect(fake.videoFrames).toEqual([]);
      expect(agent.metrics.snapshot().video_frames_processed__total ?? 0).toBe(0);
    } finally {
      await agent.close();
    }
  });
});
