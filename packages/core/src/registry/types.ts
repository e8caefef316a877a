import type { Logger } from "../log/index.js";
import type { MetricsSnapshot } from "../metrics/index.js";

/** What the registry knows of one session; shared by every node on the same registry. */
export interface SessionRecord {
  sessionId: string;
  callId: string;
  callType: string;
  /** The node that runs the session. */
  nodeId: string;
  /** ISO 8601 UTC with `Z`. */
  startedAt: string;
  /** Last metrics flushed by the owning node (null before the first flush). */
  metrics: MetricsSnapshot | null;
  /** ISO time of that flush. */
  metricsGeneratedAt: string | null;
}

export type ReserveResult = { ok: true } | { ok: false; reason: "call_full" };

/**
 * Where sessions are recorded so any node can find, meter and close them. Entries carry a TTL
 * the owning node refreshes each maintenance cycle: a node that dies leaves nothing behind for
 * longer than the TTL. The in-memory store serves one process; the Redis store a cluster.
 */
export interface SessionRegistry {
  /** "memory", "redis", ... for logs and /ready. */
  readonly kind: string;
  /**
   * Atomically adds `record` unless its call already has `maxSessionsPerCall` sessions
   * (counted over every node). No overshoot under concurrent reservations.
   */
  reserve(
    record: SessionRecord,
    options: { maxSessionsPerCall: number | null; ttlMs: number },
  ): Promise<ReserveResult>;
  /** Re-writes this node's live sessions (records, metrics, TTLs); recreates lost entries. */
  refresh(records: readonly SessionRecord[], options: { ttlMs: number }): Promise<void>;
  get(sessionId: string): Promise<SessionRecord | null>;
  listByCall(callId: string): Promise<SessionRecord[]>;
  /** Flags a session for its owner to close; false when no such session. */
  requestClose(sessionId: string): Promise<boolean>;
  /** Which of these sessions have a close request pending. */
  closeRequested(sessionIds: readonly string[]): Promise<Set<string>>;
  /** Removes a session (and its close flag and call index entry). */
  remove(sessionId: string, callId: string): Promise<void>;
  /** False while the backing store is unreachable (Redis down). */
  readonly healthy: boolean;
  /**
   * Optional: calls `listener` when `healthy` changes (Redis lost, Redis back); returns a
   * function that removes it. The launcher re-writes its sessions at once when the store is back.
   */
  onHealthChange?(listener: (healthy: boolean) => void): () => void;
  /** Optional: where the store logs its outages and recoveries (the launcher hands its logger). */
  setLogger?(logger: Logger): void;
  close(): Promise<void>;
}
