import { ClosedError } from "../errors/index.js";
import type { ReserveResult, SessionRecord, SessionRegistry } from "./types.js";

export interface MemoryRegistryOptions {
  /**
   * The clock entries expire by, in milliseconds (any monotonic origin). Default
   * `performance.now`; tests pass a fake clock to expire entries without waiting.
   */
  now?: () => number;
}

interface Entry {
  record: SessionRecord;
  /** `now()` value at and after which the entry no longer exists. */
  expiresAtMs: number;
  closeRequested: boolean;
}

/**
 * The session registry of a single process: a Map with TTLs, close flags and a per-call index.
 * Every operation runs synchronously inside its promise, so `reserve` checks the per-call
 * limit and inserts in one step: concurrent reservations cannot overshoot. Expired entries
 * are dropped lazily on access and swept on each `refresh`.
 */
export class MemoryRegistry implements SessionRegistry {
  readonly kind = "memory";
  readonly #entries = new Map<string, Entry>();
  readonly #byCall = new Map<string, Set<string>>();
  readonly #now: () => number;
  #closed = false;

  constructor(options: MemoryRegistryOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** Always true until closed: memory cannot become unreachable. */
  get healthy(): boolean {
    return !this.#closed;
  }

  /** How many live (unexpired) sessions the registry holds; for tests and stats. */
  get size(): number {
    this.#sweep(this.#now());
    return this.#entries.size;
  }

  async reserve(
    record: SessionRecord,
    options: { maxSessionsPerCall: number | null; ttlMs: number },
  ): Promise<ReserveResult> {
    this.#assertOpen();
    const now = this.#now();
    if (options.maxSessionsPerCall !== null) {
      const live = this.#liveIdsOfCall(record.callId, now);
      if (live.length >= options.maxSessionsPerCall) return { ok: false, reason: "call_full" };
    }
    this.#put(record, now + options.ttlMs);
    return { ok: true };
  }

  async refresh(records: readonly SessionRecord[], options: { ttlMs: number }): Promise<void> {
    this.#assertOpen();
    const now = this.#now();
    this.#sweep(now);
    for (const record of records) this.#put(record, now + options.ttlMs);
  }

  async get(sessionId: string): Promise<SessionRecord | null> {
    this.#assertOpen();
    const entry = this.#live(sessionId, this.#now());
    return entry === undefined ? null : { ...entry.record };
  }

  async listByCall(callId: string): Promise<SessionRecord[]> {
    this.#assertOpen();
    const now = this.#now();
    const out: SessionRecord[] = [];
    for (const id of this.#liveIdsOfCall(callId, now)) {
      const entry = this.#entries.get(id);
      if (entry !== undefined) out.push({ ...entry.record });
    }
    return out;
  }

  async requestClose(sessionId: string): Promise<boolean> {
    this.#assertOpen();
    const entry = this.#live(sessionId, this.#now());
    if (entry === undefined) return false;
    entry.closeRequested = true;
    return true;
  }

  async closeRequested(sessionIds: readonly string[]): Promise<Set<string>> {
    this.#assertOpen();
    const now = this.#now();
    const out = new Set<string>();
    for (const id of sessionIds) {
      if (this.#live(id, now)?.closeRequested === true) out.add(id);
    }
    return out;
  }

  async remove(sessionId: string, callId: string): Promise<void> {
    this.#assertOpen();
    this.#delete(sessionId, callId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    this.#byCall.clear();
  }

  #put(record: SessionRecord, expiresAtMs: number): void {
    const existing = this.#entries.get(record.sessionId);
    if (existing !== undefined && existing.record.callId !== record.callId) {
      this.#delete(record.sessionId, existing.record.callId);
    }
    const closeRequested = this.#entries.get(record.sessionId)?.closeRequested ?? false;
    this.#entries.set(record.sessionId, { record: { ...record }, expiresAtMs, closeRequested });
    let ids = this.#byCall.get(record.callId);
    if (ids === undefined) {
      ids = new Set();
      this.#byCall.set(record.callId, ids);
    }
    ids.add(record.sessionId);
  }

  /** The entry if it exists and has not expired; drops it when expired. */
  #live(sessionId: string, now: number): Entry | undefined {
    const entry = this.#entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= now) {
      this.#delete(sessionId, entry.record.callId);
      return undefined;
    }
    return entry;
  }

  #liveIdsOfCall(callId: string, now: number): string[] {
    const ids = this.#byCall.get(callId);
    if (ids === undefined) return [];
    return [...ids].filter((id) => this.#live(id, now) !== undefined);
  }

  #delete(sessionId: string, callId: string): void {
    this.#entries.delete(sessionId);
    const ids = this.#byCall.get(callId);
    if (ids === undefined) return;
    ids.delete(sessionId);
    if (ids.size === 0) this.#byCall.delete(callId);
  }

  #sweep(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAtMs <= now) this.#delete(id, entry.record.callId);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError("MemoryRegistry");
  }
}
