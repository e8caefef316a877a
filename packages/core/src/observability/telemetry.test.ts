import type { TurnBreakdown } from "@callwright/spec";
import {
  type Attributes,
  type Context,
  type Meter,
  type MeterProvider,
  metrics,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { AgentLauncher } from "../launcher/launcher.js";
import { silentLogger } from "../log/index.js";
import { FakeEdge } from "../testing/fake-edge.js";
import { FakeSTT } from "../testing/fake-stt.js";
import { attachTelemetry, telemetryConfigured } from "./telemetry.js";

/** A span as the recording tracer keeps it. */
interface RecordedSpan {
  name: string;
  parent: RecordedSpan | undefined;
  attributes: Attributes;
  startMs: number;
  endMs: number | undefined;
  status: SpanStatus | undefined;
  events: string[];
}

function toMs(time: TimeInput | undefined): number {
  if (typeof time === "number") return time;
  if (time instanceof Date) return time.getTime();
  if (Array.isArray(time)) return time[0] * 1000 + time[1] / 1e6;
  return performance.timeOrigin + performance.now();
}

/** A TracerProvider that records spans in memory (what an SDK with an in-memory exporter does). */
class RecordingTracerProvider implements TracerProvider {
  readonly spans: RecordedSpan[] = [];
  #next = 1;

  getTracer(): Tracer {
    const startSpan = (name: string, options: SpanOptions = {}, ctx?: Context): Span => {
      const parentSpan = ctx === undefined ? undefined : trace.getSpan(ctx);
      const record: RecordedSpan = {
        name,
        parent: (parentSpan as { record?: RecordedSpan } | undefined)?.record,
        attributes: { ...options.attributes },
        startMs: toMs(options.startTime),
        endMs: undefined,
        status: undefined,
        events: [],
      };
      this.spans.push(record);
      const id = (this.#next++).toString(16).padStart(16, "0");
      const spanContext: SpanContext = { traceId: "1".repeat(32), spanId: id, traceFlags: 1 };
      const span = {
        record,
        spanContext: () => spanContext,
        setAttribute(key: string, value: unknown) {
          record.attributes[key] = value as string;
          return span;
        },
        setAttributes(attrs: Attributes) {
          Object.assign(record.attributes, attrs);
          return span;
        },
        addEvent(eventName: string) {
          record.events.push(eventName);
          return span;
        },
        addLink: () => span,
        addLinks: () => span,
        setStatus(status: SpanStatus) {
          record.status = status;
          return span;
        },
        updateName: () => span,
        end(endTime?: TimeInput) {
          record.endMs = toMs(endTime);
        },
        isRecording: () => record.endMs === undefined,
        recordException(error: unknown) {
          record.events.push(`exception: ${(error as Error).message}`);
        },
      };
      return span as unknown as Span;
    };
    return { startSpan, startActiveSpan: () => undefined } as unknown as Tracer;
  }
}

/** A MeterProvider that records every measurement by instrument name. */
class RecordingMeterProvider implements MeterProvider {
  readonly values = new Map<string, { value: number; attributes: Attributes | undefined }[]>();

  getMeter(): Meter {
    const instrument = (name: string) => ({
      record: (value: number, attributes?: Attributes) => this.#push(name, value, attributes),
      add: (value: number, attributes?: Attributes) => this.#push(name, value, attributes),
    });
    return {
      createHistogram: instrument,
      createCounter: instrument,
      createUpDownCounter: instrument,
      createGauge: instrument,
    } as unknown as Meter;
  }

  sum(name: string, filter: Attributes = {}): number {
    return (this.values.get(name) ?? [])
      .filter((v) => Object.entries(filter).every(([k, x]) => v.attributes?.[k] === x))
      .reduce((a, v) => a + v.value, 0);
  }

  #push(name: string, value: number, attributes: Attributes | undefined): void {
    const list = this.values.get(name) ?? [];
    list.push({ value, attributes });
    this.values.set(name, list);
  }
}

const launchers: AgentLauncher[] = [];
afterEach(async () => {
  await Promise.all(launchers.splice(0).map((l) => l.stop()));
  trace.disable();
  metrics.disable();
});

async function startedLauncher(): Promise<AgentLauncher> {
  const launcher = new AgentLauncher({
    createAgent: () => new Agent({ edge: new FakeEdge(), stt: new FakeSTT() }),
    joinCall: async (agent, callType, callId) => {
      const call = await agent.createCall(callType, callId);
      await agent.join(call, () => agent.finish());
    },
    logger: silentLogger,
    maintenanceIntervalMs: 1_000,
    registryTtlMs: 5_000,
  });
  launchers.push(launcher);
  await launcher.start();
  return launcher;
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

describe("attachTelemetry", () => {
  it("is off, subscribing to nothing, while no OpenTelemetry provider is installed", async () => {
    expect(telemetryConfigured()).toEqual({ traces: false, metrics: false });
    const launcher = await startedLauncher();
    const before = launcher.listenerCount("session_started");
    const detach = attachTelemetry(launcher);
    expect(launcher.listenerCount("session_started")).toBe(before);
    detach();
  });

  it("sees a globally registered SDK", () => {
    trace.setGlobalTracerProvider(new RecordingTracerProvider());
    expect(telemetryConfigured().traces).toBe(true);
    metrics.setGlobalMeterProvider(new RecordingMeterProvider());
    expect(telemetryConfigured().metrics).toBe(true);
  });

  it("records a span per session with its start, turns with STT/LLM/TTS children, and its end", async () => {
    const tracerProvider = new RecordingTracerProvider();
    const launcher = await startedLauncher();
    attachTelemetry(launcher, { tracerProvider });
    const info = await launcher.startSession({ callId: "call-7", callType: "support" });
    const agent = launcher.localAgent(info.sessionId)!;

    // A turn's breakdown, as the agent's voice loop reports it (emit is the agent's own, so reached past its type).
    (agent as unknown as { emit(event: "metrics", turn: TurnBreakdown): boolean }).emit("metrics", {
      turnId: 3,
      trailingSilenceMs: 400,
      sttMs: 150,
      llmFirstTokenMs: 300,
      ttsFirstAudioMs: 120,
      e2eMs: 900,
      frameworkMs: 80,
    });
    const gone = ended(launcher, info.sessionId);
    await launcher.closeSession(info.sessionId);
    await gone;

    const byName = (name: string) => tracerProvider.spans.filter((s) => s.name === name);
    const [session] = byName("callwright.session");
    expect(session?.attributes).toMatchObject({
      "callwright.session.id": info.sessionId,
      "callwright.call.id": "call-7",
      "callwright.call.type": "support",
      "callwright.node.id": launcher.nodeId,
      "callwright.stt.provider": "fake",
      "callwright.session.end_reason": "closed",
    });
    expect(session?.endMs).toBeDefined();
    expect(byName("callwright.session.start")[0]?.parent).toBe(session);

    const [turn] = byName("callwright.turn");
    expect(turn?.parent).toBe(session);
    expect(turn?.attributes).toMatchObject({ "callwright.turn.id": 3, "callwright.turn.e2e_ms": 900 });
    expect(turn!.endMs! - turn!.startMs).toBeCloseTo(900, 3);
    expect(turn?.events).toContain("end_of_turn");
    const duration = (name: string) => {
      const span = byName(name)[0]!;
      expect(span.parent).toBe(turn);
      return span.endMs! - span.startMs;
    };
    expect(duration("callwright.stt")).toBeCloseTo(150, 3);
    expect(duration("callwright.llm")).toBeCloseTo(300, 3);
    expect(duration("callwright.tts")).toBeCloseTo(120, 3);
    // the LLM starts at the end of turn, the TTS at the first token
    expect(byName("callwright.llm")[0]!.startMs - turn!.startMs).toBeCloseTo(400, 3);
    expect(byName("callwright.tts")[0]!.startMs - turn!.startMs).toBeCloseTo(700, 3);
  });

  it("records instruments through the OTel metrics API, with bounded attributes", async () => {
    const meterProvider = new RecordingMeterProvider();
    const launcher = await startedLauncher();
    const detach = attachTelemetry(launcher, { meterProvider });
    const info = await launcher.startSession({ callId: "call-8" });
    const agent = launcher.localAgent(info.sessionId)!;
    agent.metrics.observe("stt_latency_ms__avg", 250);
    agent.metrics.observe("turn_e2e_latency_ms__avg", 700);
    agent.metrics.add("llm_output_tokens__total", 5);

    expect(meterProvider.sum("callwright.sessions.started")).toBe(1);
    expect(meterProvider.sum("callwright.sessions.active")).toBe(1);
    expect(meterProvider.sum("callwright.stt.latency", { "callwright.provider": "fake" })).toBeCloseTo(
      0.25,
      6,
    );
    expect(meterProvider.sum("callwright.turn.e2e_latency")).toBeCloseTo(0.7, 6);
    expect(meterProvider.sum("callwright.llm.output_tokens", { "callwright.provider": "none" })).toBe(5);

    const gone = ended(launcher, info.sessionId);
    await launcher.closeSession(info.sessionId);
    await gone;
    expect(meterProvider.sum("callwright.sessions.active")).toBe(0);
    expect(
      meterProvider.sum("callwright.sessions.ended", { "callwright.session.end_reason": "closed" }),
    ).toBe(1);
    for (const list of meterProvider.values.values()) {
      for (const { attributes } of list)
        expect(JSON.stringify(attributes ?? {})).not.toContain(info.sessionId);
    }
    detach();
  });

  it("detaching ends open session spans", async () => {
    const tracerProvider = new RecordingTracerProvider();
    const launcher = await startedLauncher();
    const detach = attachTelemetry(launcher, { tracerProvider });
    await launcher.startSession({ callId: "call-9" });
    detach();
    const [session] = tracerProvider.spans.filter((s) => s.name === "callwright.session");
    expect(session?.endMs).toBeDefined();
    expect(session?.attributes["callwright.session.end_reason"]).toBe("detached");
  });
});
