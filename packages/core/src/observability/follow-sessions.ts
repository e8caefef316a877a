import type { Agent } from "../agent/agent.js";
import type { AgentLauncher } from "../launcher/launcher.js";
import type { SessionEndedEvent, SessionStartedEvent } from "../launcher/types.js";

/** What the exporters need of a launcher: its events and the agents of its local sessions. */
export type ObservedLauncher = Pick<AgentLauncher, "on" | "localAgent" | "nodeId" | "stats" | "ready">;

/** A session start as the exporters see it; `startDurationMs` when the launcher reports it. */
export type StartedSession = SessionStartedEvent & { readonly startDurationMs?: number };

export interface SessionFollower {
  /** A session started on this node; returns what to run when it ends (or on detach). */
  started(
    event: StartedSession,
    agent: Agent | undefined,
  ): ((ended: SessionEndedEvent | null) => void) | undefined;
  /** A session ended (after `started`'s cleanup ran). */
  ended?(event: SessionEndedEvent): void;
}

/**
 * Follows the sessions a launcher runs: calls `follower.started` for each new one (with its
 * agent, to tap its metrics and turn events) and the returned cleanup when it ends. Returns a
 * function that stops following and runs every pending cleanup (with `null`).
 */
export function followSessions(launcher: ObservedLauncher, follower: SessionFollower): () => void {
  const cleanups = new Map<string, (ended: SessionEndedEvent | null) => void>();
  const offStarted = launcher.on("session_started", (event) => {
    const cleanup = follower.started(event, launcher.localAgent(event.sessionId));
    if (typeof cleanup === "function") cleanups.set(event.sessionId, cleanup);
  });
  const offEnded = launcher.on("session_ended", (event) => {
    const cleanup = cleanups.get(event.sessionId);
    cleanups.delete(event.sessionId);
    cleanup?.(event);
    follower.ended?.(event);
  });
  return () => {
    offStarted();
    offEnded();
    for (const cleanup of cleanups.values()) cleanup(null);
    cleanups.clear();
  };
}
