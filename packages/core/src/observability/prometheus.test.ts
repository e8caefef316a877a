import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { AgentLauncher } from "../launcher/launcher.js";
import type { AgentLauncherOptions } from "../launcher/options.js";
import { silentLogger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { FakeSTT } from "../testing/fake-stt.js";
import { createPrometheusMetrics } from "./prometheus.js";

const launchers: AgentLauncher[] = [];
afterEach(async () => {
  await Promise.all(launchers.splice(0).map((l) => l.stop()));
});

async function startedLauncher(options: Partial<AgentLauncherOptions> = {}): Promise<AgentLauncher> {
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new FakeEdge(), stt: new FakeSTT() }),
    joinCall: async (agent, callType, callId) => {
      const call = await agent.createCall(callType, callId);
      await agent.join(call, () => agent.finish());
    },
    logger: silentLogger,
    maintenanceIntervalMs: 1_000,
    registryTtlMs: 5_000,
    ...options,
  });
  launchers.push(launcher);
  await launcher.start();
  return launcher;
}

/** The value of one series in the exposition text (exact series name with labels), or undefined. */
function series(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

function ended(launcher: AgentLauncher, sessionId: string): Promise<void> {
  return new Promise((resolve) => {
    const off = launcher.on("session_ended", (event) => {
      if (event.sessionId === sessionId) {
        off();
        resolve();
      }
    });
  });
}

describe("createPrometheusMetrics", () => {
  it("counts sessions started, active and ended by reason, with process metrics beside them", async () => {
    const prom = createPrometheusMetrics();
    const launcher = await startedLauncher();
    prom.attach(launcher);
    expect(prom.contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    let text = await prom.render();
    expect(series(text, "callwright_sessions_active")).toBe(0);
    expect(series(text, 'callwright_sessions_ended_total{reason="idle"}')).toBe(0);
    expect(series(text, "callwright_node_ready")).toBe(1);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");

    const a = await launcher.startSession({ callId: "call-1" });
    const b = await launcher.startSession({ callId: "call-1" });
    text = await prom.render();
    expect(series(text, "callwright_sessions_active")).toBe(2);
    expect(series(text, "callwright_sessions_started_total")).toBe(2);

    const gone = ended(launcher, a.sessionId);
    await launcher.closeSession(a.sessionId);
    await gone;
    text = await prom.render();
    expect(series(text, "callwright_sessions_active")).toBe(1);
    expect(series(text, 'callwright_sessions_ended_total{reason="closed"}')).toBe(1);
    expect(series(text, "callwright_session_duration_seconds_count")).toBe(1);
    // no series is labelled with a session or call id
    expect(text).not.toContain(a.sessionId);
    expect(text).not.toContain(b.sessionId);
    expect(text).not.toContain("call-1");
  });

  it("turns every session's metric samples into latency histograms and counters, by provider", async () => {
    const prom = createPrometheusMetrics({ processMetrics: false });
    const launcher = await startedLauncher();
    prom.attach(launcher);
    const s1 = await launcher.startSession({ callId: "c1" });
    const s2 = await launcher.startSession({ callId: "c2" });
    const a1 = launcher.localAgent(s1.sessionId)!;
    const a2 = launcher.localAgent(s2.sessionId)!;

    a1.metrics.observe("stt_latency_ms__avg", 250);
    a2.metrics.observe("stt_latency_ms__avg", 1_200);
    a1.metrics.observe("turn_e2e_latency_ms__avg", 800);
    a1.metrics.add("llm_input_tokens__total", 12);
    a2.metrics.add("llm_input_tokens__total", 30);
    a2.metrics.add("tts_audio_duration_ms__total", 1_500);

    const text = await prom.render();
    expect(series(text, 'callwright_stt_latency_seconds_bucket{le="0.3",provider="fake"}')).toBe(1);
    expect(series(text, 'callwright_stt_latency_seconds_bucket{le="1.5",provider="fake"}')).toBe(2);
    expect(series(text, 'callwright_stt_latency_seconds_count{provider="fake"}')).toBe(2);
    expect(series(text, 'callwright_stt_latency_seconds_sum{provider="fake"}')).toBeCloseTo(1.45, 6);
    expect(series(text, "callwright_turn_e2e_latency_seconds_count")).toBe(1);
    expect(series(text, "callwright_turn_e2e_latency_seconds_sum")).toBeCloseTo(0.8, 6);
    expect(series(text, 'callwright_llm_input_tokens_total{provider="none"}')).toBe(42);
    expect(series(text, 'callwright_tts_audio_duration_seconds_total{provider="none"}')).toBeCloseTo(1.5, 6);
    expect(text).toContain("# TYPE callwright_llm_time_to_first_token_seconds histogram");

    // A sample a fallback list's member served is labelled with that member's provider.
    a2.metrics.observe("llm_time_to_first_token_ms__avg", 400, "openai");
    a2.metrics.add("llm_fallbacks__total", 1, "openai");
    const served = await prom.render();
    expect(series(served, 'callwright_llm_time_to_first_token_seconds_count{provider="openai"}')).toBe(1);
    expect(series(served, 'callwright_llm_fallbacks_total{provider="openai"}')).toBe(1);

    // a session that ended no longer feeds the node's metrics
    const gone = ended(launcher, s1.sessionId);
    await launcher.closeSession(s1.sessionId);
    await gone;
    a1.metrics.observe("turn_e2e_latency_ms__avg", 900);
    expect(series(await prom.render(), "callwright_turn_e2e_latency_seconds_count")).toBe(1);
  });

  it("counts refused starts by code and keeps two servers' registries apart", async () => {
    const first = createPrometheusMetrics({ processMetrics: true });
    const second = createPrometheusMetrics({ processMetrics: true, defaultLabels: { service: "b" } });
    const launcher = await startedLauncher({ maxConcurrentSessions: 1 });
    const detach = first.attach(launcher);
    await launcher.startSession({ callId: "c1" });
    await expect(launcher.startSession({ callId: "c1" })).rejects.toThrow(/concurrent/);

    const text = await first.render();
    expect(series(text, 'callwright_sessions_rejected_total{code="max_concurrent_sessions"}')).toBe(1);
    expect(series(text, "callwright_node_ready")).toBe(0);
    const other = await second.render();
    expect(series(other, 'callwright_sessions_started_total{service="b"}')).toBe(0);

    detach();
    await launcher.startSession({ callId: "c2" }).catch(() => undefined);
    expect(series(await first.render(), "callwright_sessions_started_total")).toBe(1);
  });
});
