import type { LlmModel, LlmPart } from "@callwright/spec";
import { describe, expect, it } from "vitest";
import { MetricsCollector } from "../metrics/collector.js";
import { FakeClock } from "../testing/fake-clock.js";
import { meteredLlmStream } from "./metered.js";

/** A model whose parts arrive at given clock times. */
function timed(clock: FakeClock, parts: [number, LlmPart][], options: { throwAt?: number } = {}): LlmModel {
  return {
    specificationVersion: "v1",
    provider: "test",
    modelId: "timed",
    async *stream(_request, { signal }) {
      for (const [at, part] of parts) {
        if (clock.now() < at) await new Promise<void>((r) => clock.setTimeout(r, at - clock.now()));
        if (signal.aborted) return;
        yield part;
      }
      if (options.throwAt !== undefined) throw new Error("socket hang up");
    },
  };
}

async function drain(parts: AsyncIterable<LlmPart>): Promise<LlmPart[]> {
  const out: LlmPart[] = [];
  for await (const p of parts) out.push(p);
  return out;
}

describe("meteredLlmStream", () => {
  const request = { messages: [{ role: "user" as const, content: "12345678" }] };

  it("measures time to first token and latency on one clock, and takes reported tokens", async () => {
    const clock = new FakeClock(0);
    const metrics = new MetricsCollector();
    const llm = timed(clock, [
      [120, { type: "text_delta", text: "Hi" }],
      [300, { type: "usage", inputTokens: 7, outputTokens: 1 }],
      [300, { type: "finish", reason: "stop" }],
    ]);
    const { parts, stats } = meteredLlmStream(
      llm,
      request,
      { signal: new AbortController().signal },
      { metrics, clock },
    );
    const done = drain(parts);
    await clock.advance(400);
    await done;
    expect(stats).toMatchObject({ firstTokenMs: 120, latencyMs: 300, inputTokens: 7, outputTokens: 1 });
    expect(metrics.snapshot()).toMatchObject({
      llm_time_to_first_token_ms__avg: 120,
      llm_latency_ms__avg: 300,
      llm_input_tokens__total: 7,
      llm_output_tokens__total: 1,
    });
  });

  it("estimates tokens (chars / 4) when the provider reports none", async () => {
    const clock = new FakeClock(0);
    const metrics = new MetricsCollector();
    const llm = timed(clock, [[0, { type: "text_delta", text: "twelve chars" }]]);
    const { parts, stats } = meteredLlmStream(
      llm,
      request,
      { signal: new AbortController().signal },
      { metrics, clock },
    );
    await drain(parts);
    expect(stats).toMatchObject({ tokensEstimated: true, inputTokens: 2, outputTokens: 3 });
  });

  it("turns a throw into an error part and keeps it out of the latency average", async () => {
    const clock = new FakeClock(0);
    const metrics = new MetricsCollector();
    const llm = timed(clock, [[0, { type: "text_delta", text: "a" }]], { throwAt: 0 });
    const { parts, stats } = meteredLlmStream(
      llm,
      request,
      { signal: new AbortController().signal },
      { metrics, clock },
    );
    const out = await drain(parts);
    expect(out.at(-1)?.type).toBe("error");
    expect(stats.failed).toBe(true);
    expect(metrics.average("llm_latency_ms__avg")).toBeNull();
    expect(metrics.total("llm_cancelled__total")).toBe(0);
  });

  it("counts an abort as a cancellation, not a latency, even if the provider ignores its signal", async () => {
    const metrics = new MetricsCollector();
    const clock = new FakeClock(0);
    const deaf: LlmModel = {
      specificationVersion: "v1",
      provider: "test",
      modelId: "deaf",
      async *stream() {
        yield { type: "text_delta", text: "x" };
        await new Promise(() => {}); // never answers again, ignores the signal
      },
    };
    const controller = new AbortController();
    const { parts, stats } = meteredLlmStream(
      deaf,
      request,
      { signal: controller.signal },
      { metrics, clock },
    );
    const done = drain(parts);
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await done;
    expect(stats.cancelled).toBe(true);
    expect(metrics.total("llm_cancelled__total")).toBe(1);
    expect(metrics.average("llm_latency_ms__avg")).toBeNull();
    expect(metrics.average("llm_time_to_first_token_ms__avg")).toBe(0);
  });
});
