// launcher session: one session this node runs (its registry record, agent, logger and start
// time), the ids a start request must carry, and how a session reads to callers.
import type { Agent } from "../agent/agent.js";
import type { Logger } from "../log/index.js";
import { MetricsCollector, type MetricsSnapshot } from "../metrics/index.js";
import type { SessionRecord, SessionRegistry } from "../registry/types.js";
import type { SessionInfo } from "./types.js";

/** Longest call id or call type the launcher accepts (the HTTP layer enforces the same). */
export const MAX_ID_LENGTH = 256;

export function checkId(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new TypeError(`${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

/** One session this node runs. */
export class LocalSession {
  state: "running" | "closing" = "running";
  /** Resolves once the registry entry is gone (what a close waits for before answering). */
  removed: Promise<void> = Promise.resolve();
  readonly info: SessionInfo;
  readonly #onEnd: (() => void)[] = [];

  constructor(
    readonly record: SessionRecord,
    readonly agent: Agent,
    /** performance.now() at admission. */
    readonly startedAtMs: number,
    readonly logger: Logger,
  ) {
    this.info = Object.freeze({
      sessionId: record.sessionId,
      callId: record.callId,
      callType: record.callType,
      nodeId: record.nodeId,
      startedAt: record.startedAt,
      local: true,
    });
  }

  /** Runs `fn` when the session starts ending (timers and listeners of the launcher's own). */
  onEnd(fn: () => void): void {
    this.#onEnd.push(fn);
  }

  /** Called once as the session starts ending. */
  ended(): void {
    for (const fn of this.#onEnd.splice(0)) fn();
  }
}

/** Removes a session's registry entry; a failure is logged (the entry then expires by its TTL). */
export async function removeFromRegistry(
  registry: SessionRegistry,
  record: SessionRecord,
  logger: Logger,
): Promise<void> {
  try {
    await registry.remove(record.sessionId, record.callId);
  } catch (error) {
    logger.warn({ err: error }, "removing the session from the registry failed (its entry expires by TTL)");
  }
}

export function toInfo(record: SessionRecord, local: boolean): SessionInfo {
  return {
    sessionId: record.sessionId,
    callId: record.callId,
    callType: record.callType,
    nodeId: record.nodeId,
    startedAt: record.startedAt,
    local,
  };
}

/** What a session's metrics read before its first flush: averages null, totals 0. */
export function emptySnapshot(): MetricsSnapshot {
  return new MetricsCollector().snapshot();
}
