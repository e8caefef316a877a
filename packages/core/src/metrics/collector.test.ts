import { describe, expect, it } from "vitest";
import { MetricsCollector } from "./collector.js";
import { SEED_METRICS } from "./names.js";

describe("MetricsCollector", () => {
  it("reports every seed metric, averages null and totals 0 when empty", () => {
    const snap = new MetricsCollector().snapshot();
    for (const name of SEED_METRICS) expect(snap).toHaveProperty(name);
    expect(snap.llm_latency_ms__avg).toBeNull();
    expect(snap.llm_input_tokens__total).toBe(0);
    expect(snap.turn_e2e_latency_ms__p95).toBeNull();
  });

  it("averages observations and sums totals", () => {
    const m = new MetricsCollector();
    m.observe("stt_latency_ms__avg", 100);
    m.observe("stt_latency_ms__avg", 200);
    m.add("llm_output_tokens__total", 7);
    m.add("llm_output_tokens__total", 3);
    expect(m.snapshot().stt_latency_ms__avg).toBe(150);
    expect(m.snapshot().llm_output_tokens__total).toBe(10);
  });

  it("computes e2e percentiles", () => {
    const m = new MetricsCollector();
    for (let i = 1; i <= 100; i++) m.observe("turn_e2e_latency_ms__avg", i);
    expect(m.e2ePercentile(50)).toBe(50);
    expect(m.e2ePercentile(95)).toBe(95);
  });
});
