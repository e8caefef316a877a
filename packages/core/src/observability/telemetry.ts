import type { TurnBreakdown } from "@callwright/spec";
import {
  type Attributes,
  type Context,
  context,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type { MetricSample } from "../metrics/index.js";
import { followSessions, type ObservedLauncher } from "./follow-sessions.js";
import { COUNTER_METRICS, LATENCY_BUCKETS_S, LATENCY_METRICS, START_BUCKETS_S } from "./metric-names.js";

/** The instrumentation scope callwright's spans and instruments carry. */
export const INSTRUMENTATION_SCOPE = "callwright";

export interface TelemetryOptions {
  /** Where spans go. Default the global provider (`trace.setGlobalTracerProvider`, an SDK's `register()`). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default the global provider (`metrics.setGlobalMeterProvider`). */
  meterProvider?: MeterProvider;
}

/** Whether OpenTelemetry providers are installed globally (an SDK registered), for traces and metrics. */
export function telemetryConfigured(): { traces: boolean; metrics: boolean } {
  const provider = trace.getTracerProvider();
  const traces = !(
    provider instanceof ProxyTracerProvider &&
    provider.getDelegate() === new ProxyTracerProvider().getDelegate()
  );
  const meters = metrics.getMeterProvider().getMeter(INSTRUMENTATION_SCOPE) !== createNoopMeter();
  return { traces, metrics: meters };
}

/** ms since the epoch `agoMs` before now, for spans recorded after the fact. */
function msAgo(agoMs: number): number {
  return performance.timeOrigin + performance.now() - agoMs;
}

/**
 * Sends a launcher's sessions to OpenTelemetry through its API only (plug in any SDK and
 * exporter): a `callwright.session` span per session (start to end, with its end reason), a
 * `callwright.session.start` child for the start itself, and a `callwright.turn` span per
 * completed turn with `callwright.stt`, `callwright.llm` and `callwright.tts` children;
 * instruments for sessions, start latency, turn and provider latencies and the totals.
 *
 * Off when not configured: with no provider given and none installed globally it subscribes to
 * nothing and costs nothing. Returns a function that detaches (ending open session spans).
 *
 * Turn spans are recorded when the turn's breakdown is reported, laid out backwards from that
 * moment: each child's duration is exact, its placement on the timeline approximate.
 */
export function attachTelemetry(launcher: ObservedLauncher, options: TelemetryOptions = {}): () => void {
  const configured = telemetryConfigured();
  const tracing = options.tracerProvider !== undefined || configured.traces;
  const metering = options.meterProvider !== undefined || configured.metrics;
  if (!tracing && !metering) return () => {};
  const tracer = tracing
    ? (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE)
    : undefined;
  const meter = metering
    ? (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE)
    : undefined;
  const instruments = meter === undefined ? undefined : createInstruments(meter);
  const baseAttributes: Attributes = { "callwright.node.id": launcher.nodeId };

  const offRejected = launcher.on("session_rejected", (event) =>
    instruments?.rejected.add(1, { "callwright.reject.code": event.code }),
  );
  const unfollow = followSessions(launcher, {
    started(event, agent) {
      const startMs = event.startDurationMs ?? 0;
      const attributes: Attributes = {
        ...baseAttributes,
        "callwright.session.id": event.sessionId,
        "callwright.call.id": event.callId,
        "callwright.call.type": event.callType,
      };
      instruments?.started.add(1);
      instruments?.active.add(1);
      if (event.startDurationMs !== undefined) instruments?.startDuration.record(startMs / 1000);

      let sessionSpan: Span | undefined;
      let sessionContext: Context | undefined;
      if (tracer !== undefined) {
        const startTime = msAgo(startMs);
        sessionSpan = tracer.startSpan("callwright.session", {
          kind: SpanKind.INTERNAL,
          startTime,
          attributes,
        });
        sessionContext = trace.setSpan(context.active(), sessionSpan);
        tracer.startSpan("callwright.session.start", { startTime, attributes }, sessionContext).end(msAgo(0));
      }
      const offs: (() => void)[] = [];
      if (agent !== undefined) {
        const providers = {
          "callwright.llm.provider": agent.llm?.provider ?? "none",
          "callwright.stt.provider": agent.stt?.provider ?? "none",
          "callwright.tts.provider": agent.tts?.provider ?? "none",
        };
        sessionSpan?.setAttributes(providers);
        if (instruments !== undefined) {
          offs.push(agent.metrics.subscribe((sample) => instruments.record(sample, providers)));
        }
        if (tracer !== undefined && sessionContext !== undefined) {
          const parent = sessionContext;
          offs.push(agent.on("metrics", (turn) => recordTurn(tracer, parent, turn, attributes)));
        }
      }
      return (ended) => {
        for (const off of offs) off();
        instruments?.active.add(-1);
        if (sessionSpan === undefined) return;
        const reason = ended?.reason ?? "detached";
        sessionSpan.setAttribute("callwright.session.end_reason", reason);
        if (reason === "error") {
          const error = ended?.error;
          if (error instanceof Error) sessionSpan.recordException(error);
          sessionSpan.setStatus({ code: SpanStatusCode.ERROR, message: "joinCall failed" });
        }
        sessionSpan.end();
      };
    },
    ended(event) {
      instruments?.ended.add(1, { "callwright.session.end_reason": event.reason });
      instruments?.sessionDuration.record(event.durationMs / 1000);
    },
  });
  return () => {
    offRejected();
    unfollow();
  };
}

/** One `callwright.turn` span with its STT, LLM and TTS children, ending now. */
function recordTurn(tracer: Tracer, parent: Context, turn: TurnBreakdown, session: Attributes): void {
  const end = msAgo(0);
  const e2e = turn.e2eMs ?? 0;
  const t0 = end - e2e; // the end of the user's speech
  const attributes: Attributes = {
    "callwright.session.id": session["callwright.session.id"],
    "callwright.call.id": session["callwright.call.id"],
    "callwright.turn.id": turn.turnId,
  };
  for (const [key, value] of Object.entries(turn)) {
    if (key !== "turnId" && typeof value === "number") attributes[`callwright.turn.${snake(key)}`] = value;
  }
  const span = tracer.startSpan("callwright.turn", { startTime: t0, attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  const child = (name: string, from: number, ms: number | null): number => {
    if (ms === null) return from;
    tracer
      .startSpan(name, { startTime: from, attributes: { "callwright.turn.id": turn.turnId } }, ctx)
      .end(from + ms);
    return from + ms;
  };
  child("callwright.stt", t0, turn.sttMs);
  const endOfTurn = t0 + (turn.trailingSilenceMs ?? 0);
  if (turn.trailingSilenceMs !== null) span.addEvent("end_of_turn", endOfTurn);
  const firstToken = child("callwright.llm", endOfTurn, turn.llmFirstTokenMs);
  child("callwright.tts", firstToken, turn.ttsFirstAudioMs);
  span.end(turn.e2eMs === null ? end : t0 + e2e);
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

interface Instruments {
  started: ReturnType<Meter["createCounter"]>;
  ended: ReturnType<Meter["createCounter"]>;
  rejected: ReturnType<Meter["createCounter"]>;
  active: ReturnType<Meter["createUpDownCounter"]>;
  startDuration: Histogram;
  sessionDuration: Histogram;
  record(sample: MetricSample, providers: Record<string, string>): void;
}

function createInstruments(meter: Meter): Instruments {
  const latency = new Map(
    LATENCY_METRICS.map((m) => [
      m.sample,
      {
        metric: m,
        instrument: meter.createHistogram(m.otelName, {
          description: m.help,
          unit: m.unit,
          advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS_S] },
        }),
      },
    ]),
  );
  const totals = new Map(
    COUNTER_METRICS.map((m) => [
      m.sample,
      { metric: m, instrument: meter.createCounter(m.otelName, { description: m.help, unit: m.unit }) },
    ]),
  );
  return {
    started: meter.createCounter("callwright.sessions.started", { description: "Sessions started" }),
    ended: meter.createCounter("callwright.sessions.ended", { description: "Sessions ended, by reason" }),
    rejected: meter.createCounter("callwright.sessions.rejected", {
      description: "Session starts refused or failed, by code",
    }),
    active: meter.createUpDownCounter("callwright.sessions.active", { description: "Sessions running" }),
    startDuration: meter.createHistogram("callwright.session.start.duration", {
      description: "Start request to session registered",
      unit: "s",
      advice: { explicitBucketBoundaries: [...START_BUCKETS_S] },
    }),
    sessionDuration: meter.createHistogram("callwright.session.duration", {
      description: "A session's start to its end",
      unit: "s",
    }),
    record(sample, providers) {
      const entry = sample.kind === "average" ? latency.get(sample.name) : totals.get(sample.name);
      if (entry === undefined) return;
      const { metric } = entry;
      const attributes =
        metric.provider === null
          ? {}
          : {
              "callwright.provider": sample.provider ?? providers[`callwright.${metric.provider}.provider`],
            };
      const value = sample.value * metric.scale;
      if (sample.kind === "average") (entry.instrument as Histogram).record(value, attributes);
      else if (value >= 0) (entry.instrument as ReturnType<Meter["createCounter"]>).add(value, attributes);
    },
  };
}
