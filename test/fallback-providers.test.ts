// Fallback between real provider plugins, in a voice session: Gemini (its fake refuses or drops),
// then an OpenAI-compatible server (its fake), then the offline responder. The session goes on
// through each failure, the metrics and the turn log say who answered, and Gemini is used again
// once its background probe finds it healthy.
import * as gemini from "@callwright/gemini";
import * as local from "@callwright/local";
import * as openai from "@callwright/openai";
import { Agent, FallbackLLM, FallbackSTT, FallbackTTS, type Logger } from "callwright";
import {
  concat,
  FakeEdge,
  FakeLLM,
  FakeSTT,
  FakeTTS,
  nextEvent,
  silence,
  speechLike,
} from "callwright/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeGeminiServer,
  type GeminiReply,
  startFakeGemini,
  textReply,
} from "./fakes/gemini-server.js";
import { startFakeOpenAIAudio } from "./fakes/openai-audio-server.js";
import { type FakeOpenAIServer, textReply as openaiText, startFakeOpenAI } from "./fakes/openai-server.js";

const RATE = 48_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A logger that keeps what it is told, to read the turn lines back. */
function recordingLogger(lines: { fields: Record<string, unknown>; message: string | undefined }[]): Logger {
  const log =
    () =>
    (fields: object | string, message?: string): void => {
      if (typeof fields === "string") lines.push({ fields: {}, message: fields });
      else lines.push({ fields: fields as Record<string, unknown>, message });
    };
  const logger: Logger = {
    trace: log(),
    debug: log(),
    info: log(),
    warn: log(),
    error: log(),
    fatal: log(),
    child: () => logger,
    bindings: () => ({}),
  };
  return logger;
}

const utterance = () =>
  concat(
    silence({ durationMs: 200, sampleRateHz: RATE }),
    speechLike({ durationMs: 600, sampleRateHz: RATE }),
    silence({ durationMs: 700, sampleRateHz: RATE }),
  );

interface Servers {
  google: FakeGeminiServer;
  compatible: FakeOpenAIServer;
  /** While false, Gemini's fake answers every request the way `down` says. */
  geminiUp: { value: boolean };
}

async function servers(down: GeminiReply): Promise<Servers> {
  const google = await startFakeGemini();
  const compatible = await startFakeOpenAI();
  cleanups.push(
    () => google.close(),
    () => compatible.close(),
  );
  const geminiUp = { value: false };
  // Every request (turns and probes) is answered by the state of the moment.
  for (let i = 0; i < 50; i++) {
    google.reply(() => (geminiUp.value ? textReply("Gemini is back.") : down));
  }
  return { google, compatible, geminiUp };
}

async function session(llm: FallbackLLM, transcripts: string[]) {
  const lines: { fields: Record<string, unknown>; message: string | undefined }[] = [];
  const edge = new FakeEdge({ outputSampleRateHz: RATE });
  const agent = new Agent({
    edge,
    llm,
    stt: new FakeSTT({ transcripts }),
    tts: new FakeTTS({ msPerChar: 2 }),
    logger: recordingLogger(lines),
  });
  cleanups.push(() => agent.close());
  await agent.join(await agent.createCall("default", "fallback-call"));
  /** The user speaks; resolves with the agent's answer as heard. */
  const turn = async () => {
    const answered = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, {
      timeoutMs: 10_000,
    });
    edge.connection.feedAudio("alice", utterance());
    const [event] = await answered;
    return event.text;
  };
  const turnLines = () => lines.filter((l) => l.message === "turn metrics").map((l) => l.fields);
  return { agent, turn, turnLines, lines };
}

describe("FallbackLLM across real plugins, in a voice session", () => {
  it("Gemini refuses (503), the OpenAI-compatible server answers; Gemini is used again once healthy", async () => {
    const { google, compatible, geminiUp } = await servers({
      kind: "json",
      status: 503,
      body: {
        error: {
          code: 503,
          message: "The model is overloaded. Please try again later.",
          status: "UNAVAILABLE",
        },
      },
    });
    compatible.reply(
      openaiText("Answer from the compatible server."),
      openaiText("Still the compatible server."),
    );
    const llm = new FallbackLLM(
      [
        new gemini.LLM({ baseUrl: google.baseUrl, apiKey: google.apiKey, maxRetries: 0 }, {}),
        new openai.LLM({ baseUrl: compatible.baseUrl, model: "gpt-4o-mini", maxRetries: 0 }, {}),
        new local.OfflineLLM(),
      ],
      { probeIntervalMs: 150 },
    );
    const { agent, turn, turnLines } = await session(llm, ["hello there", "and again", "once more"]);

    expect(await turn()).toBe("Answer from the compatible server.");
    const geminiTurnsBefore = google.requests.length;
    expect(await turn()).toBe("Still the compatible server.");
    // While Gemini is down, turns go straight to the next server (only probes reach Gemini).
    expect(google.requests.length - geminiTurnsBefore).toBeLessThanOrEqual(1);
    expect(agent.metrics.total("llm_fallbacks__total")).toBe(2);
    expect(turnLines()[0]).toMatchObject({ llm_provider: "openai" });

    geminiUp.value = true;
    await expect.poll(() => llm.isHealthy(0), { timeout: 3_000 }).toBe(true);
    expect(await turn()).toBe("Gemini is back.");
    expect(agent.metrics.total("llm_fallbacks__total")).toBe(2);
    expect(turnLines()[2]).toMatchObject({ llm_provider: "gemini" });
  });

  it("Gemini drops the connection and the compatible server is down: the offline responder answers", async () => {
    const { google, compatible } = await servers({ kind: "drop" });
    const compatibleUrl = compatible.baseUrl;
    await compatible.close();
    const llm = new FallbackLLM([
      new gemini.LLM({ baseUrl: google.baseUrl, apiKey: google.apiKey, maxRetries: 0 }, {}),
      new openai.LLM({ baseUrl: compatibleUrl, maxRetries: 0 }, {}),
      new local.OfflineLLM(),
    ]);
    const unhealthy: string[] = [];
    llm.on("unhealthy", (e) => unhealthy.push(`${e.provider}: ${e.error.message}`));
    const { turn, turnLines } = await session(llm, ["hello"]);
    expect(await turn()).toMatch(/^(Hello|Hi)/);
    expect(unhealthy).toEqual([
      expect.stringMatching(/^gemini: could not reach the Gemini API at .*|^gemini: .*closed the connection/),
      expect.stringMatching(/^openai: could not reach .*ECONNREFUSED/),
    ]);
    expect(turnLines()[0]).toMatchObject({ llm_provider: "local" });
  });
});

describe("FallbackSTT and FallbackTTS across real plugins, in a voice session", () => {
  it("the speech server fails a segment and hangs on speech: the next models hear and speak the turn", async () => {
    const audio = await startFakeOpenAIAudio();
    cleanups.push(() => audio.close());
    audio.transcribe({
      kind: "json",
      status: 503,
      body: { error: { message: "overloaded", type: "server_error" } },
    });
    audio.speak({ kind: "hang" });
    const stt = new FallbackSTT([
      new openai.STT({ baseUrl: audio.baseUrl, maxRetries: 0 }, {}),
      new FakeSTT({ transcripts: ["what time is it"] }),
    ]);
    const tts = new FallbackTTS(
      [new openai.TTS({ baseUrl: audio.baseUrl, maxRetries: 0 }, {}), new FakeTTS({ msPerChar: 2 })],
      { firstOutputTimeoutMs: 300 },
    );
    const edge = new FakeEdge({ outputSampleRateHz: RATE });
    const agent = new Agent({ edge, llm: new FakeLLM({ replies: ["It is noon."] }), stt, tts });
    cleanups.push(() => agent.close());
    await agent.join(await agent.createCall("default", "speech-fallback"));
    const heard = nextEvent(agent, "transcript", (e) => e.role === "user" && e.final, { timeoutMs: 10_000 });
    const answered = nextEvent(agent, "transcript", (e) => e.role === "agent" && e.final, {
      timeoutMs: 10_000,
    });
    edge.connection.feedAudio("alice", utterance());
    expect((await heard)[0].text).toBe("what time is it");
    expect((await answered)[0].text).toBe("It is noon.");
    // The speech server got the segment first (a WAV of it), then the fallback heard it again.
    expect(
      audio.requests.find((r) => r.path === "/v1/audio/transcriptions")?.audio?.durationMs,
    ).toBeGreaterThan(500);
    expect(edge.connection.playedMs()).toBeGreaterThan(0);
    const m = agent.metrics.snapshot();
    expect([m.stt_fallbacks__total, m.tts_fallbacks__total]).toEqual([1, 1]);
    expect([stt.isHealthy(0), tts.isHealthy(0)]).toEqual([false, false]);
    await stt.close();
    await tts.close();
    expect([stt.probing, tts.probing]).toEqual([false, false]);
  });
});
