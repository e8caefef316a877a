import {
  type AudioFrame,
  type LlmModel,
  type LlmPart,
  ProviderError,
  type SttModel,
  type SttPart,
  type SttStream,
  type TtsModel,
  type TtsStreamPart,
} from "@callwright/spec";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, isAbortError } from "../errors/index.js";
import { meteredLlmStream } from "../llm/metered.js";
import { type MetricSample, MetricsCollector } from "../metrics/index.js";
import { FakeLLM, FakeSTT, FakeTTS, silence, speechLike } from "../testing/index.js";
import { meteredSynthesize } from "../tts/metered.js";
import type { FallbackServedEvent } from "./health.js";
import { FallbackLLM } from "./llm.js";
import { servedByOf } from "./served-by.js";
import { FallbackSTT } from "./stt.js";
import { FallbackTTS } from "./tts.js";

/** `model` under another provider name (the fakes all say "fake"). */
function named<T extends object>(model: T, provider: string): T {
  return new Proxy(model, {
    get(target, prop) {
      if (prop === "provider") return provider;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});
function track<T extends { close(): Promise<void> }>(fallback: T): T {
  closers.push(fallback);
  return fallback;
}

const hello = { messages: [{ role: "user" as const, content: "hi" }] };

async function collect(model: LlmModel, signal = new AbortController().signal) {
  const call = model.stream(hello, { signal });
  const parts: LlmPart[] = [];
  for await (const part of call) parts.push(part);
  return { parts, servedBy: servedByOf(call) };
}
const textOf = (parts: readonly LlmPart[]) =>
  parts.map((p) => (p.type === "text_delta" ? p.text : "")).join("");
const until = async (check: () => boolean, timeoutMs = 2000) => {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("FallbackLLM", () => {
  it("moves on when the first model fails before its first token, skips it, and uses it again once a probe passes", async () => {
    const down = new Error("503 overloaded");
    let primaryUp = false;
    const primary = named(
      new FakeLLM({ respond: () => (primaryUp ? "from primary" : { error: down }) }),
      "primary",
    );
    const secondary = named(new FakeLLM({ respond: () => "from secondary" }), "secondary");
    const fallback = track(new FallbackLLM([primary, secondary], { probeIntervalMs: 40 }));
    const served: FallbackServedEvent[] = [];
    fallback.on("served", (e) => served.push(e));
    const healthy: number[] = [];
    fallback.on("healthy", (e) => healthy.push(e.index));

    const first = await collect(fallback);
    expect(textOf(first.parts)).toBe("from secondary");
    expect(first.parts.some((p) => p.type === "error")).toBe(false);
    expect(first.servedBy).toEqual({ provider: "secondary", modelId: "fake-llm", index: 1 });
    expect(served[0]?.skipped.map((s) => [s.provider, s.error.message])).toEqual([
      ["primary", "503 overloaded"],
    ]);
    expect(fallback.isHealthy(0)).toBe(false);

    // While it is down, the primary is not asked again for real turns (only its probes are).
    const askedBefore = (primary as FakeLLM).requests.length;
    expect(textOf((await collect(fallback)).parts)).toBe("from secondary");
    expect((primary as FakeLLM).requests.length - askedBefore).toBeLessThanOrEqual(1);

    primaryUp = true;
    await until(() => fallback.isHealthy(0));
    expect(healthy).toEqual([0]);
    const back = await collect(fallback);
    expect(textOf(back.parts)).toBe("from primary");
    expect(back.servedBy?.index).toBe(0);
  });

  it("moves on from a model silent past firstOutputTimeoutMs, and stops that request", async () => {
    const slow = named(new FakeLLM({ replies: [{ text: "late", firstTokenDelayMs: 2_000 }] }), "slow");
    const quick = named(new FakeLLM({ replies: ["quick"] }), "quick");
    const fallback = track(new FallbackLLM([slow, quick], { firstOutputTimeoutMs: 50 }));
    const started = performance.now();
    const { parts, servedBy } = await collect(fallback);
    expect(textOf(parts)).toBe("quick");
    expect(servedBy?.provider).toBe("quick");
    expect(performance.now() - started).toBeLessThan(1_000);
    await until(() => (slow as FakeLLM).aborted === 1);
  });

  it("passes on an error after the first token (the user heard part of it) and marks the model down", async () => {
    const flaky = named(new FakeLLM({ replies: [{ text: "Half a", error: new Error("dropped") }] }), "flaky");
    const other = new FakeLLM({ replies: ["unused"] });
    const fallback = track(new FallbackLLM([flaky, other]));
    const { parts } = await collect(fallback);
    expect(textOf(parts)).toBe("Half a");
    expect(parts.at(-1)).toMatchObject({ type: "error", error: { message: "dropped" } });
    expect(other.requests).toHaveLength(0);
    expect(fallback.isHealthy(0)).toBe(false);
  });

  it("ends with one error naming every model's failure when all fail", async () => {
    const a = named(new FakeLLM({ replies: [{ error: new Error("key refused") }] }), "a");
    const b = named(new FakeLLM({ replies: [{ error: new Error("refused"), throws: true }] }), "b");
    const { parts } = await collect(track(new FallbackLLM([a, b])));
    expect(parts).toHaveLength(1);
    const error = (parts[0] as Extract<LlmPart, { type: "error" }>).error as ProviderError;
    expect(error.code).toBe("fallback_exhausted");
    expect(error.message).toBe(
      "every LLM in the fallback list failed (a/fake-llm: key refused; b/fake-llm: refused)",
    );
  });

  it("tries every model even when all are marked down", async () => {
    let up = false;
    const only = new FakeLLM({ respond: () => (up ? "back" : { error: new Error("down") }) });
    const fallback = track(new FallbackLLM([only], { probeIntervalMs: 60_000 }));
    expect((await collect(fallback)).parts[0]?.type).toBe("error");
    up = true;
    expect(textOf((await collect(fallback)).parts)).toBe("back");
    expect(fallback.isHealthy(0)).toBe(true);
  });

  it("stops at once on the caller's abort, without blaming the model", async () => {
    const model = new FakeLLM({ replies: [{ text: "one two three four", chunkDelayMs: 50 }] });
    const fallback = track(new FallbackLLM([model, new FakeLLM()]));
    const controller = new AbortController();
    const consume = async () => {
      for await (const part of fallback.stream(hello, { signal: controller.signal })) {
        if (part.type === "text_delta") controller.abort();
      }
    };
    await expect(consume()).rejects.toSatisfy(isAbortError);
    await until(() => model.aborted === 1);
    expect(fallback.isHealthy(0)).toBe(true);
  });

  it("labels the metrics with the model that served, and counts the fallback", async () => {
    const fallback = track(
      new FallbackLLM([
        named(new FakeLLM({ replies: [{ error: new Error("down") }] }), "gemini"),
        named(new FakeLLM({ replies: ["hello"] }), "openai"),
      ]),
    );
    const metrics = new MetricsCollector();
    const samples: MetricSample[] = [];
    metrics.subscribe((s) => samples.push(s));
    const call = meteredLlmStream(
      fallback,
      hello,
      { signal: new AbortController().signal },
      {
        metrics,
        clock: { now: () => performance.now(), setTimeout, clearTimeout } as never,
      },
    );
    for await (const _part of call.parts) {
      // drain
    }
    expect(call.stats.servedBy).toEqual({ provider: "openai", modelId: "fake-llm", index: 1 });
    expect(metrics.total("llm_fallbacks__total")).toBe(1);
    const ttft = samples.find((s) => s.name === "llm_time_to_first_token_ms__avg");
    expect(ttft?.provider).toBe("openai");
    expect(samples.find((s) => s.name === "llm_output_tokens__total")?.provider).toBe("openai");
  });

  it("warms every model: one that fails is marked down; all failing, or a configuration error, fails", async () => {
    const broken = named(new FakeLLM(), "broken");
    (broken as { warmup: () => Promise<void> }).warmup = async () => {
      throw new ProviderError("auth refused", { provider: "broken", status: 401 });
    };
    const ok = new FakeLLM();
    const fallback = track(new FallbackLLM([broken, ok]));
    await fallback.warmup();
    expect([fallback.isHealthy(0), fallback.isHealthy(1), ok.warmups]).toEqual([false, true, 1]);
    await expect(track(new FallbackLLM([broken])).warmup()).rejects.toThrow(
      /every LLM in the fallback list failed to warm up \(broken\/fake-llm: auth refused\)/,
    );
    const misconfigured: LlmModel = {
      specificationVersion: "v1",
      provider: "x",
      modelId: "y",
      stream: (r, o) => ok.stream(r, o),
      warmup: async () => {
        throw new ConfigError("X needs an API key: set X_API_KEY");
      },
    };
    await expect(track(new FallbackLLM([misconfigured, ok])).warmup()).rejects.toThrow(/X_API_KEY/);
  });

  it("refuses an empty list and bad options; close() stops the probes and closes the models", async () => {
    expect(() => new FallbackLLM([])).toThrow(/at least one model/);
    expect(() => new FallbackLLM([new FakeLLM()], { probeIntervalMs: 0 })).toThrow(/probeIntervalMs/);
    const closed: string[] = [];
    const failing = new FakeLLM({ replies: [{ error: new Error("x") }] });
    const closable: LlmModel = {
      specificationVersion: "v1",
      provider: "a",
      modelId: "m",
      stream: (r, o) => failing.stream(r, o),
      close: async () => {
        closed.push("a");
      },
    };
    const fallback = new FallbackLLM([closable, new FakeLLM()], { probeIntervalMs: 60_000 });
    await collect(fallback);
    expect(fallback.probing).toBe(true);
    await fallback.close();
    expect(fallback.probing).toBe(false);
    expect(closed).toEqual(["a"]);
    expect(() => fallback.stream(hello, { signal: new AbortController().signal })).toThrow(/closed/);
  });
});

describe("FallbackTTS", () => {
  const synth = async (tts: TtsModel, text: string) => {
    const call = tts.synthesize(text, { signal: new AbortController().signal });
    const frames: AudioFrame[] = [];
    for await (const frame of call) frames.push(frame);
    return { frames, servedBy: servedByOf(call) };
  };

  it("speaks with the next model when the first fails before its first audio, each at its own rate", async () => {
    const first = named(
      new FakeTTS({ failOn: () => new Error("quota"), outputSampleRateHz: 24_000 }),
      "first",
    );
    const second = named(new FakeTTS({ outputSampleRateHz: 16_000 }), "second");
    const fallback = track(new FallbackTTS([first, second]));
    expect(fallback.outputSampleRateHz).toBe(24_000);
    const { frames, servedBy } = await synth(fallback, "Hello there.");
    expect(servedBy?.provider).toBe("second");
    expect(frames.every((f) => f.sampleRateHz === 16_000)).toBe(true);
    expect(frames.reduce((ms, f) => ms + (f.samples.length * 1000) / f.sampleRateHz, 0)).toBe(120);
    expect(fallback.isHealthy(0)).toBe(false);
  });

  it("moves on from a model with no audio within firstOutputTimeoutMs; an empty synthesis is an answer", async () => {
    const slow = named(new FakeTTS({ firstAudioDelayMs: 2_000 }), "slow");
    const fallback = track(new FallbackTTS([slow, new FakeTTS()], { firstOutputTimeoutMs: 50 }));
    expect((await synth(fallback, "Hi.")).servedBy?.index).toBe(1);
    await until(() => (slow as FakeTTS).aborted === 1);
    const quiet = track(new FallbackTTS([new FakeTTS(), named(new FakeTTS(), "never")]));
    const empty = await synth(quiet, "");
    expect([empty.frames.length, quiet.isHealthy(0)]).toEqual([0, true]);
  });

  it("labels the TTS metrics with the model that spoke", async () => {
    const fallback = track(
      new FallbackTTS([
        named(new FakeTTS({ failOn: () => new Error("x") }), "eleven"),
        named(new FakeTTS(), "local"),
      ]),
    );
    const metrics = new MetricsCollector();
    const samples: MetricSample[] = [];
    metrics.subscribe((s) => samples.push(s));
    const call = meteredSynthesize(
      fallback,
      "Hello.",
      { signal: new AbortController().signal },
      {
        metrics,
        clock: { now: () => performance.now(), setTimeout, clearTimeout } as never,
      },
    );
    for await (const _f of call.frames) {
      // drain
    }
    expect(samples.find((s) => s.name === "tts_latency_ms__avg")?.provider).toBe("local");
    expect(metrics.total("tts_fallbacks__total")).toBe(1);
  });

  it("streams text when every model does, replaying the text so far into the next one if the first fails", async () => {
    const first = named(new FakeTTS({ streaming: true, failOn: () => new Error("socket closed") }), "first");
    const second = named(new FakeTTS({ streaming: true }), "second");
    const fallback = track(new FallbackTTS([first, second]));
    expect(track(new FallbackTTS([first, new FakeTTS()])).streamText).toBeUndefined();
    const stream = fallback.streamText!({ signal: new AbortController().signal });
    stream.push("Hello ");
    stream.push("there.");
    stream.flush();
    const parts: TtsStreamPart[] = [];
    const reading = (async () => {
      for await (const part of stream) {
        parts.push(part);
        if (part.type === "flushed") stream.end();
      }
    })();
    await reading;
    expect(parts.some((p) => p.type === "error")).toBe(false);
    expect((second as FakeTTS).streams[0]?.text).toBe("Hello there.");
    expect(servedByOf(stream)?.provider).toBe("second");
    // The failed member's timings never reach the caller: each one is the second's.
    const timings = parts.flatMap((p) => (p.type === "timings" ? p.timings : []));
    expect(timings.map((t) => t.text).join("")).toBe("Hello there.");
  });
});

/** An STT whose streams this test drives by hand. */
class ManualSTT implements SttModel {
  readonly specificationVersion = "v1";
  readonly provider = "manual";
  readonly modelId = "manual";
  readonly inputSampleRateHz = 16_000;
  readonly opened: { pushed: number; flushes: number; emit(part: SttPart): void; end(): void }[] = [];
  stream(): SttStream {
    const parts: SttPart[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const handle = {
      pushed: 0,
      flushes: 0,
      emit(part: SttPart) {
        parts.push(part);
        wake?.();
      },
      end() {
        ended = true;
        wake?.();
      },
    };
    this.opened.push(handle);
    return {
      push: () => {
        handle.pushed += 1;
      },
      flush: () => {
        handle.flushes += 1;
      },
      end: () => {},
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (parts.length > 0) yield parts.shift()!;
          if (ended) return;
          await new Promise<void>((r) => {
            wake = r;
          });
        }
      },
    };
  }
}

describe("FallbackSTT", () => {
  const speech = (ms: number, rate = 16_000) => speechLike({ durationMs: ms, sampleRateHz: rate });

  /** Pushes `frame` in 20 ms pieces. */
  function pushAll(stream: SttStream, frame: AudioFrame) {
    const n = frame.sampleRateHz / 50;
    for (let at = 0; at < frame.samples.length; at += n) {
      stream.push({ ...frame, samples: frame.samples.subarray(at, at + n) });
    }
  }

  async function reader(stream: SttStream) {
    const parts: SttPart[] = [];
    const done = (async () => {
      for await (const part of stream) parts.push(part);
    })();
    return { parts, done };
  }

  it("replays a segment the first model dropped into the next one, and keeps the session going on it", async () => {
    const primary = named(
      new FakeSTT({ transcripts: ["hello there", { drop: true }], transcribe: () => "" }),
      "deepgram",
    );
    const secondary = named(new FakeSTT({ transcripts: ["how are you", "fine thanks"] }), "openai");
    const fallback = track(new FallbackSTT([primary, secondary], { probeIntervalMs: 60_000 }));
    const stream = fallback.stream({ signal: new AbortController().signal, participantId: "alice" });
    const { parts } = await reader(stream);

    pushAll(stream, speech(400));
    stream.flush();
    await until(() => parts.some((p) => p.type === "final"));
    pushAll(stream, speech(600));
    stream.flush();
    await until(() => parts.filter((p) => p.type === "final").length === 2);
    pushAll(stream, speech(300));
    stream.flush();
    await until(() => parts.filter((p) => p.type === "final").length === 3);

    expect(parts.filter((p) => p.type === "final")).toEqual([
      { type: "final", text: "hello there", segmentEnd: true },
      { type: "final", text: "how are you", segmentEnd: true },
      { type: "final", text: "fine thanks", segmentEnd: true },
    ]);
    expect(parts.some((p) => p.type === "error")).toBe(false);
    // The second model heard the dropped segment again (600 ms) and the next one (300 ms).
    expect((secondary as FakeSTT).pushedMs).toBe(900);
    expect(servedByOf(stream)?.provider).toBe("openai");
    expect(fallback.isHealthy(0)).toBe(false);
  });

  it("moves back to the first model between segments once a probe finds it working", async () => {
    let down = true;
    const primary = named(
      new FakeSTT({ transcribe: () => (down ? { error: new Error("socket closed") } : "back on primary") }),
      "primary",
    );
    const secondary = named(new FakeSTT({ transcribe: () => "on secondary" }), "secondary");
    const fallback = track(new FallbackSTT([primary, secondary], { probeIntervalMs: 30 }));
    const stream = fallback.stream({ signal: new AbortController().signal });
    const { parts } = await reader(stream);
    const finals = () => parts.filter((p) => p.type === "final").map((p) => (p as { text: string }).text);

    pushAll(stream, speech(200));
    stream.flush();
    await until(() => finals().length === 1);
    down = false;
    await until(() => fallback.isHealthy(0));
    pushAll(stream, speech(200));
    stream.flush();
    await until(() => finals().length === 2);
    expect(finals()).toEqual(["on secondary", "back on primary"]);
  });

  it("moves on when no final comes within firstOutputTimeoutMs of a flush", async () => {
    const stuck = named(new FakeSTT({ transcripts: [{ text: "too late", latencyMs: 5_000 }] }), "stuck");
    const other = named(new FakeSTT({ transcripts: ["in time"] }), "other");
    const fallback = track(new FallbackSTT([stuck, other], { firstOutputTimeoutMs: 60 }));
    const stream = fallback.stream({ signal: new AbortController().signal });
    const { parts } = await reader(stream);
    pushAll(stream, speech(200));
    stream.flush();
    await until(() => parts.some((p) => p.type === "final"));
    expect(parts.filter((p) => p.type === "final")).toEqual([
      { type: "final", text: "in time", segmentEnd: true },
    ]);
  });

  it("passes partial finals on as interim text, so a replay never repeats words", async () => {
    const manual = new ManualSTT();
    const backup = named(new FakeSTT({ transcripts: ["hello world again"], interimEveryMs: 0 }), "backup");
    const fallback = track(new FallbackSTT([manual, backup]));
    const stream = fallback.stream({ signal: new AbortController().signal });
    const { parts } = await reader(stream);
    pushAll(stream, speech(200));
    manual.opened[0]!.emit({ type: "final", text: "hello", segmentEnd: false });
    manual.opened[0]!.emit({ type: "interim", text: "world" });
    await until(() => parts.length === 2);
    expect(parts).toEqual([
      { type: "interim", text: "hello" },
      { type: "interim", text: "hello world" },
    ]);
    manual.opened[0]!.emit({ type: "error", error: new Error("gone"), recoverable: false });
    stream.flush();
    await until(() => parts.some((p) => p.type === "final"));
    expect(parts.at(-1)).toEqual({ type: "final", text: "hello world again", segmentEnd: true });
  });

  it("resamples for a model that takes another rate", async () => {
    const first = named(new FakeSTT({ transcripts: [{ drop: true }] }), "first");
    const eightK = named(new FakeSTT({ transcripts: ["ok"], inputSampleRateHz: 8_000 }), "eight");
    const fallback = track(new FallbackSTT([first, eightK]));
    const stream = fallback.stream({ signal: new AbortController().signal });
    const { parts } = await reader(stream);
    pushAll(stream, speech(400));
    stream.flush();
    await until(() => parts.some((p) => p.type === "final"));
    expect(parts.at(-1)).toEqual({ type: "final", text: "ok", segmentEnd: true });
    expect((eightK as FakeSTT).pushedMs).toBeGreaterThan(380);
  });

  it("ends with an error part when every model failed; an abort closes every stream", async () => {
    const a = named(new FakeSTT({ transcripts: [{ drop: true }] }), "a");
    const b = named(new FakeSTT({ transcripts: [{ error: new Error("refused") }] }), "b");
    const stream = track(new FallbackSTT([a, b])).stream({ signal: new AbortController().signal });
    const { parts, done } = await reader(stream);
    pushAll(stream, silence({ durationMs: 100, sampleRateHz: 16_000 }));
    stream.flush();
    await done;
    expect(parts.at(-1)).toMatchObject({
      type: "error",
      recoverable: false,
      error: {
        code: "fallback_exhausted",
        message: /a\/fake-stt: .*ended the stream.*; b\/fake-stt: refused/,
      },
    });

    const model = new FakeSTT();
    const controller = new AbortController();
    const open = track(new FallbackSTT([model, new FakeSTT()])).stream({ signal: controller.signal });
    const reading = reader(open);
    pushAll(open, speech(100));
    controller.abort();
    await (await reading).done;
    expect(model.openStreams).toBe(0);
  });
});

describe("FallbackLLM with a model that throws at once", () => {
  it("moves on to the next model", async () => {
    const broken: LlmModel = {
      specificationVersion: "v1",
      provider: "broken",
      modelId: "m",
      stream: () => {
        throw new Error("closed");
      },
    };
    const fallback = track(new FallbackLLM([broken, new FakeLLM({ replies: ["fine"] })]));
    const { parts, servedBy } = await collect(fallback);
    expect(textOf(parts)).toBe("fine");
    expect(servedBy?.index).toBe(1);
  });
});
