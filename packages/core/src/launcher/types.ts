import type { MetricsSnapshot } from "../metrics/index.js";
import type { SessionLimitCode } from "./errors.js";

/** Why a session ended. */
export type SessionEndReason =
  /** `joinCall` returned (the call ended, the agent left). */
  | "completed"
  /** The agent was alone in the call for `agentIdleTimeoutMs`. */
  | "idle"
  /** The session reached `maxSessionDurationMs`. */
  | "duration"
  /** `closeSession` (HTTP DELETE or beacon), here or through the registry from another node. */
  | "closed"
  /** `joinCall` threw. */
  | "error"
  /** The launcher drained or stopped (SIGTERM). */
  | "drain";

/** A session as any node sees it (from the local map or the shared registry). */
export interface SessionInfo {
  readonly sessionId: string;
  readonly callId: string;
  readonly callType: string;
  /** The node that runs the session. */
  readonly nodeId: string;
  /** ISO 8601 UTC with `Z`. */
  readonly startedAt: string;
  /** True when this node runs the session. */
  readonly local: boolean;
}

/** A session's metrics: live for a local session, the last flushed copy for a remote one. */
export interface SessionMetrics {
  readonly session: SessionInfo;
  readonly metrics: MetricsSnapshot;
  /** ISO 8601 UTC: now for a local session, the flush time for a remote one. */
  readonly generatedAt: string;
}

export interface SessionStartedEvent {
  readonly sessionId: string;
  readonly callId: string;
  readonly callType: string;
  readonly startedAt: string;
  /** From the start request to the session registered (admission, registry, createAgent), in ms. */
  readonly startDurationMs: number;
}

export interface SessionEndedEvent {
  readonly sessionId: string;
  readonly callId: string;
  readonly callType: string;
  readonly reason: SessionEndReason;
  /** From start to the agent closed, in ms. */
  readonly durationMs: number;
  /** What `joinCall` threw, for reason "error". */
  readonly error?: unknown;
}

export interface SessionRejectedEvent {
  readonly callId: string;
  readonly callType: string;
  readonly code: SessionLimitCode | "unavailable" | "agent_start_failed";
}

/** Events of the launcher, for metrics exporters (Prometheus) and the CLI. */
export type LauncherEvents = {
  session_started: [event: SessionStartedEvent];
  session_ended: [event: SessionEndedEvent];
  /** A start was refused or failed (no session was created). */
  session_rejected: [event: SessionRejectedEvent];
  /** Warm-up finished: the launcher can take sessions. */
  warmed_up: [durationMs: number];
  /** `drain()` began: no new session is taken. */
  draining: [];
};

/** Counters of this node, for /ready and logs. */
export interface LauncherStats {
  /** Sessions with an agent in their call. */
  readonly running: number;
  /** Admitted sessions still creating their agent. */
  readonly starting: number;
  /** Sessions whose agent is being closed. */
  readonly closing: number;
  /** starting + running + closing: what `maxConcurrentSessions` limits. */
  readonly occupied: number;
  /** `maxConcurrentSessions` (null = unlimited). */
  readonly capacity: number | null;
  readonly warmedUp: boolean;
  readonly draining: boolean;
}
