import { TypedEmitter } from "@callwright/provider-utils";
import { Redis } from "ioredis";
import { CallwrightError, ClosedError, ConfigError } from "../errors/index.js";
import { type Logger, silentLogger } from "../log/index.js";
import { LIST_CALL_LUA, REFRESH_LUA, REQUEST_CLOSE_LUA, RESERVE_LUA } from "./redis-scripts.js";
import type { ReserveResult, SessionRecord, SessionRegistry } from "./types.js";

export interface RedisRegistryOptions {
  /** Where Redis is, e.g. `redis://:password@redis:6379/0` or `rediss://...`. Ignored with `client`. */
  url: string;
  /**
   * An ioredis client to use instead of opening one from `url`. The registry does not quit it
   * on close. Its commands are refused at once while it is not connected, whatever its offline
   * queue says.
   */
  client?: Redis;
  /** Prefix of every key, so several deployments can share one Redis (`{prefix}:sessions/...`). */
  prefix: string;
  /** A command that got no answer in this long fails (Redis hung, network cut), in ms. */
  commandTimeoutMs: number;
  /** How long the first connection (and each reconnect attempt) may take, in ms. */
  connectTimeoutMs: number;
  /** Where outages and recoveries are logged. */
  logger?: Logger;
}

export const defaultRedisRegistryOptions = {
  url: "redis://127.0.0.1:6379",
  prefix: "callwright",
  commandTimeoutMs: 2_000,
  connectTimeoutMs: 5_000,
} as const satisfies Partial<RedisRegistryOptions>;

/** Redis cannot be reached now; the launcher answers 503 and the client may retry later. */
export class RegistryUnavailableError extends CallwrightError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: "registry_unavailable", fault: "system", retryable: true, ...options });
    this.name = "RegistryUnavailableError";
  }
}

export type RedisRegistryEvents = {
  /** Connected (again): commands work. */
  up: [];
  /** The connection was lost (or could not be made); ioredis keeps reconnecting. */
  down: [error: Error | null];
};

/** The scripts, as methods ioredis adds with `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
interface ScriptCommands {
  callwrightReserve(...args: (string | number)[]): Promise<number>;
  callwrightRefresh(numKeys: number, ...args: (string | number)[]): Promise<number>;
  callwrightListCall(key: string): Promise<string[]>;
  callwrightRequestClose(recordKey: string, closeKey: string): Promise<number>;
}

/**
 * The session registry of a cluster: every node that shares the Redis (and the prefix) sees
 * every session. Keys, each with the TTL the owner refreshes every maintenance cycle:
 *
 * - `{prefix}:sessions/{call_id}/{session_id}`: the record (JSON), with the last flushed metrics
 * - `{prefix}:close_requests/{call_id}/{session_id}`: a close request for the owner
 * - `{prefix}:session_calls/{session_id}`: the session's call id, so a session is found by id alone
 * - `{prefix}:call_sessions/{call_id}`: a sorted set of the call's sessions scored by expiry
 *   (Redis time), so admission and `listByCall` count live sessions without SCAN
 *
 * Admission runs as one Lua script (drop expired members, count, add under the limit): no
 * overshoot under concurrent starts on any number of nodes. While Redis is unreachable every
 * call fails at once with `RegistryUnavailableError` and `healthy` is false; ioredis reconnects
 * by itself. Needs a single Redis (or a managed primary, Sentinel); not Redis Cluster.
 */
export class RedisRegistry extends TypedEmitter<RedisRegistryEvents> implements SessionRegistry {
  readonly kind = "redis";
  readonly prefix: string;
  readonly #client: Redis;
  readonly #scripts: ScriptCommands;
  readonly #ownsClient: boolean;
  readonly #base: string;
  #logger: Logger;
  readonly #ownLogger: boolean;
  readonly #connectTimeoutMs: number;
  /** Call ids of the sessions this instance reserved or refreshed (this node's), by session id. */
  readonly #callOf = new Map<string, string>();
  readonly #detach: (() => void)[] = [];
  #everReady = false;
  #down = false;
  #closed = false;

  constructor(options: Partial<RedisRegistryOptions> = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const merged: RedisRegistryOptions = { ...defaultRedisRegistryOptions, ...given };
    super((error, event) => merged.logger?.error({ err: error, event }, "registry listener threw"));
    if (typeof merged.prefix !== "string" || !/^[\w.:-]+$/.test(merged.prefix)) {
      throw new ConfigError(
        `prefix must be letters, digits and . _ : - only (got "${String(merged.prefix)}")`,
      );
    }
    for (const name of ["commandTimeoutMs", "connectTimeoutMs"] as const) {
      const value = merged[name];
      if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
        throw new ConfigError(`${name} must be a number of milliseconds > 0 (got ${String(value)})`);
      }
    }
    this.prefix = merged.prefix;
    this.#base = merged.prefix.endsWith(":") ? merged.prefix : `${merged.prefix}:`;
    this.#logger = merged.logger ?? silentLogger;
    this.#ownLogger = merged.logger !== undefined;
    this.#connectTimeoutMs = merged.connectTimeoutMs;
    if (merged.client !== undefined) {
      this.#client = merged.client;
      this.#ownsClient = false;
    } else {
      if (!/^rediss?:\/\//i.test(merged.url) || !URL.canParse(merged.url)) {
        throw new ConfigError(
          `url must be a redis:// or rediss:// URL (got "${merged.url.replace(/\/\/[^@/]*@/, "//***@")}")`,
        );
      }
      this.#client = new Redis(merged.url, {
        // Fail fast while disconnected so a start answers 503 instead of hanging.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: merged.commandTimeoutMs,
        connectTimeout: merged.connectTimeoutMs,
        retryStrategy: (times) => Math.min(times * 100, 1_000),
      });
      this.#ownsClient = true;
    }
    this.#client.defineCommand("callwrightReserve", { numberOfKeys: 3, lua: RESERVE_LUA });
    this.#client.defineCommand("callwrightRefresh", { lua: REFRESH_LUA });
    this.#client.defineCommand("callwrightListCall", { numberOfKeys: 1, lua: LIST_CALL_LUA });
    this.#client.defineCommand("callwrightRequestClose", { numberOfKeys: 2, lua: REQUEST_CLOSE_LUA });
    this.#scripts = this.#client as unknown as ScriptCommands;
    this.#everReady = this.#client.status === "ready";
    this.#listen();
  }

  /** True while connected to Redis (and not closed). */
  get healthy(): boolean {
    return !this.#closed && this.#client.status === "ready";
  }

  /** The ioredis client (for tests and for sharing the connection). */
  get client(): Redis {
    return this.#client;
  }

  /** Calls `listener(true)` when Redis is back, `listener(false)` when it is lost. */
  onHealthChange(listener: (healthy: boolean) => void): () => void {
    const offUp = this.on("up", () => listener(true));
    const offDown = this.on("down", () => listener(false));
    return () => {
      offUp();
      offDown();
    };
  }

  /** Where outages and recoveries are logged from now on, unless a logger was given at construction. */
  setLogger(logger: Logger): void {
    if (!this.#ownLogger) this.#logger = logger;
  }

  /** Resolves once connected; rejects with RegistryUnavailableError after `timeoutMs`. */
  async waitUntilReady(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#assertOpen();
    if (this.healthy) return;
    const timeoutMs = options.timeoutMs ?? this.#connectTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new RegistryUnavailableError(`Redis not reachable within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.once("up", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async reserve(
    record: SessionRecord,
    options: { maxSessionsPerCall: number | null; ttlMs: number },
  ): Promise<ReserveResult> {
    await this.#reachable();
    const { sessionId, callId } = record;
    const added = await this.#run(() =>
      this.#scripts.callwrightReserve(
        this.#callIndexKey(callId),
        this.#recordKey(callId, sessionId),
        this.#sessionCallKey(sessionId),
        sessionId,
        JSON.stringify(record),
        ttl(options.ttlMs),
        options.maxSessionsPerCall ?? -1,
        callId,
      ),
    );
    if (added !== 1) return { ok: false, reason: "call_full" };
    this.#callOf.set(sessionId, callId);
    return { ok: true };
  }

  async refresh(records: readonly SessionRecord[], options: { ttlMs: number }): Promise<void> {
    await this.#reachable();
    if (records.length === 0) {
      this.#callOf.clear();
      return;
    }
    const keys: string[] = [];
    const args: (string | number)[] = [ttl(options.ttlMs)];
    for (const record of records) {
      const { sessionId, callId } = record;
      keys.push(
        this.#recordKey(callId, sessionId),
        this.#sessionCallKey(sessionId),
        this.#callIndexKey(callId),
        this.#closeKey(callId, sessionId),
      );
      args.push(sessionId, JSON.stringify(record), callId);
    }
    await this.#run(() => this.#scripts.callwrightRefresh(keys.length, ...keys, ...args));
    // The cache follows this node's live sessions (an id it misses is looked up in Redis).
    const live = new Set(records.map((r) => r.sessionId));
    for (const id of this.#callOf.keys()) if (!live.has(id)) this.#callOf.delete(id);
    for (const record of records) this.#callOf.set(record.sessionId, record.callId);
  }

  async get(sessionId: string): Promise<SessionRecord | null> {
    await this.#reachable();
    const callId = await this.#run(() => this.#client.get(this.#sessionCallKey(sessionId)));
    if (callId === null) return null;
    const raw = await this.#run(() => this.#client.get(this.#recordKey(callId, sessionId)));
    return raw === null ? null : this.#parse(raw);
  }

  async listByCall(callId: string): Promise<SessionRecord[]> {
    await this.#reachable();
    const ids = await this.#run(() => this.#scripts.callwrightListCall(this.#callIndexKey(callId)));
    if (ids.length === 0) return [];
    const raws = await this.#run(() => this.#client.mget(ids.map((id) => this.#recordKey(callId, id))));
    const out: SessionRecord[] = [];
    for (const raw of raws) {
      const record = raw === null ? null : this.#parse(raw);
      if (record !== null) out.push(record);
    }
    return out;
  }

  async requestClose(sessionId: string): Promise<boolean> {
    await this.#reachable();
    const callId =
      this.#callOf.get(sessionId) ??
      (await this.#run(() => this.#client.get(this.#sessionCallKey(sessionId))));
    if (callId === null) return false;
    const flagged = await this.#run(() =>
      this.#scripts.callwrightRequestClose(
        this.#recordKey(callId, sessionId),
        this.#closeKey(callId, sessionId),
      ),
    );
    return flagged === 1;
  }

  async closeRequested(sessionIds: readonly string[]): Promise<Set<string>> {
    await this.#reachable();
    const out = new Set<string>();
    if (sessionIds.length === 0) return out;
    const unknown = sessionIds.filter((id) => !this.#callOf.has(id));
    const found = new Map<string, string>();
    if (unknown.length > 0) {
      const callIds = await this.#run(() => this.#client.mget(unknown.map((id) => this.#sessionCallKey(id))));
      unknown.forEach((id, i) => {
        const callId = callIds[i];
        if (typeof callId === "string") found.set(id, callId);
      });
    }
    const pairs: [string, string][] = [];
    for (const id of sessionIds) {
      const callId = this.#callOf.get(id) ?? found.get(id);
      if (callId !== undefined) pairs.push([id, callId]);
    }
    if (pairs.length === 0) return out;
    const flags = await this.#run(() =>
      this.#client.mget(pairs.map(([id, callId]) => this.#closeKey(callId, id))),
    );
    pairs.forEach(([id], i) => {
      if (flags[i] !== null && flags[i] !== undefined) out.add(id);
    });
    return out;
  }

  async remove(sessionId: string, callId: string): Promise<void> {
    await this.#reachable();
    await this.#run(() =>
      this.#client
        .multi()
        .del(
          this.#recordKey(callId, sessionId),
          this.#closeKey(callId, sessionId),
          this.#sessionCallKey(sessionId),
        )
        .zrem(this.#callIndexKey(callId), sessionId)
        .exec(),
    );
    this.#callOf.delete(sessionId);
  }

  /** Stops using Redis; quits the connection when the registry opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#detach) off();
    this.#detach.length = 0;
    this.#callOf.clear();
    if (this.#ownsClient) {
      try {
        if (this.#client.status === "ready") await this.#client.quit();
        else this.#client.disconnect();
      } catch {
        this.#client.disconnect();
      }
    }
    this.removeAllListeners();
  }

  // ---- internals ----

  #recordKey(callId: string, sessionId: string): string {
    return `${this.#base}sessions/${callId}/${sessionId}`;
  }

  #closeKey(callId: string, sessionId: string): string {
    return `${this.#base}close_requests/${callId}/${sessionId}`;
  }

  #sessionCallKey(sessionId: string): string {
    return `${this.#base}session_calls/${sessionId}`;
  }

  #callIndexKey(callId: string): string {
    return `${this.#base}call_sessions/${callId}`;
  }

  #listen(): void {
    const client = this.#client;
    const onReady = (): void => {
      const wasDown = this.#down || !this.#everReady;
      this.#everReady = true;
      this.#down = false;
      if (wasDown) {
        this.#logger.info({ registry: "redis" }, "session registry connected");
        this.emit("up");
      }
    };
    const onDown = (error: Error | null): void => {
      if (this.#closed || this.#down) return;
      this.#down = true;
      this.#logger.warn(
        { registry: "redis", err: error ?? undefined },
        "session registry unreachable; new sessions are refused until Redis is back",
      );
      this.emit("down", error);
    };
    // ioredis emits "error" on every failed reconnect attempt: report the outage once.
    const onError = (error: Error): void => {
      if (client.status !== "ready") onDown(error);
      else this.#logger.warn({ registry: "redis", err: error }, "Redis error");
    };
    const onClose = (): void => onDown(null);
    client.on("ready", onReady);
    client.on("error", onError);
    client.on("close", onClose);
    this.#detach.push(
      () => client.off("ready", onReady),
      () => client.off("error", onError),
      () => client.off("close", onClose),
    );
  }

  /**
   * Refuses at once while Redis is unreachable. Before the very first connection it waits for
   * it (up to `connectTimeoutMs`), so a registry used right after construction works.
   */
  async #reachable(): Promise<void> {
    this.#assertOpen();
    if (this.#client.status === "ready") return;
    if (!this.#everReady && !this.#down) {
      await this.#firstConnection();
      return;
    }
    throw new RegistryUnavailableError(
      `Redis is unreachable (connection ${this.#client.status}); ioredis is reconnecting`,
    );
  }

  /** Waits for the first connection: resolves when up, rejects when it fails or times out. */
  #firstConnection(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle();
        reject(new RegistryUnavailableError(`Redis not reachable within ${this.#connectTimeoutMs} ms`));
      }, this.#connectTimeoutMs);
      const offUp = this.once("up", () => {
        settle();
        resolve();
      });
      const offDown = this.once("down", (error) => {
        settle();
        reject(new RegistryUnavailableError("Redis is unreachable", { cause: error }));
      });
      const settle = (): void => {
        clearTimeout(timer);
        offUp();
        offDown();
      };
    });
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (this.#closed) throw new ClosedError("RedisRegistry");
      const why = error instanceof Error ? error.message : String(error);
      throw new RegistryUnavailableError(`Redis command failed: ${why}`, { cause: error });
    }
  }

  #parse(raw: string): SessionRecord | null {
    try {
      const value = JSON.parse(raw) as Partial<SessionRecord> | null;
      if (
        value !== null &&
        typeof value === "object" &&
        typeof value.sessionId === "string" &&
        typeof value.callId === "string" &&
        typeof value.nodeId === "string" &&
        typeof value.startedAt === "string"
      ) {
        return {
          sessionId: value.sessionId,
          callId: value.callId,
          callType: typeof value.callType === "string" ? value.callType : "default",
          nodeId: value.nodeId,
          startedAt: value.startedAt,
          metrics: value.metrics ?? null,
          metricsGeneratedAt: value.metricsGeneratedAt ?? null,
        };
      }
    } catch {
      // reported below
    }
    this.#logger.warn({ registry: "redis" }, "ignoring a malformed session record in Redis");
    return null;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError("RedisRegistry");
  }
}

/** A TTL Redis accepts: a whole number of ms >= 1. */
function ttl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new ConfigError(`ttlMs must be a number of milliseconds > 0 (got ${ttlMs})`);
  }
  return Math.max(1, Math.ceil(ttlMs));
}
