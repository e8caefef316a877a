import { randomUUID } from "node:crypto";
import { Agent } from "../agent/agent.js";
import type { Call, Edge, EdgeHttpRoutes } from "../edge/types.js";
import { CallwrightError, ClosedError } from "../errors/index.js";
import { TypedEmitter } from "../events/index.js";
import { createLogger, type Logger } from "../log/index.js";
import { MetricsCollector, type MetricsSnapshot } from "../metrics/index.js";
import { MemoryRegistry } from "../registry/memory.js";
import type { SessionRecord, SessionRegistry } from "../registry/types.js";
import { LauncherUnavailableError, SessionLimitError, SessionStartError } from "./errors.js";
import {
  type AgentLauncherOptions,
  type CreateAgent,
  type JoinCall,
  type ResolvedLauncherOptions,
  resolveLauncherOptions,
} from "./options.js";
import type {
  LauncherEvents,
  LauncherStats,
  SessionEndReason,
  SessionInfo,
  SessionMetrics,
  SessionRejectedEvent,
} from "./types.js";

/** Longest call id or call type the launcher accepts (the HTTP layer enforces the same). */
export const MAX_ID_LENGTH = 256;

/** One session this node runs. */
class LocalSession {
  state: "running" | "closing" = "running";
  /** Resolves once the registry entry is gone (what a close waits for before answering). */
  removed: Promise<void> = Promise.resolve();
  readonly info: SessionInfo;

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
}

type LauncherState = "idle" | "running" | "draining" | "stopped";

function checkId(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new TypeError(`${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

/**
 * Starts, meters and stops agent sessions on this node: warm-up, atomic admission under the
 * node's and the call's limits, `joinCall` in the background, a maintenance loop (idle and
 * duration limits, close requests, metrics flush, registry TTLs) and drain on shutdown.
 * A session ends when `joinCall` returns or throws; one session's failure never touches others.
 */
export class AgentLauncher extends TypedEmitter<LauncherEvents> {
  readonly nodeId: string;
  readonly registry: SessionRegistry;
  readonly options: ResolvedLauncherOptions;
  readonly #createAgent: CreateAgent;
  readonly #joinCall: JoinCall;
  #logger: Logger;

  /** Sessions with a live agent, by id. */
  readonly #sessions = new Map<string, LocalSession>();
  /** Sessions whose agent is closing (no longer visible, still holding capacity). */
  readonly #closing = new Map<string, LocalSession>();
  /** Admitted and not yet fully ended: starting + running + closing. */
  #occupied = 0;
  #starting = 0;
  readonly #emptyWaiters = new Set<() => void>();

  #state: LauncherState = "idle";
  #warmedUp = false;
  #preparing: Promise<Agent> | undefined;
  #dryRunAgent: Agent | undefined;
  #warming: Promise<void> | undefined;
  #edge: Edge | undefined;
  #edgeRoutes: EdgeHttpRoutes | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #draining: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #stopSignal = new AbortController();
  /** Stops listening to the registry's health (set when the registry reports it). */
  #offRegistryHealth: (() => void) | undefined;
  /** True while the registry is known unreachable and that was logged (once per outage). */
  #registryDownLogged = false;

  constructor(options: AgentLauncherOptions) {
    const resolved = resolveLauncherOptions(options);
    super((error, event) => this.#logger.error({ err: error, event }, "launcher event listener threw"));
    this.options = Object.freeze(resolved);
    this.#createAgent = options.createAgent;
    this.#joinCall = options.joinCall;
    this.registry = options.registry ?? new MemoryRegistry();
    this.nodeId = options.nodeId ?? randomUUID();
    this.#logger = (options.logger ?? createLogger({ name: "agents" })).child({ node_id: this.nodeId });
    this.#shareLogger();
    // When the registry comes back (Redis restarted), write this node's sessions back at once.
    if (typeof this.registry.onHealthChange === "function") {
      this.#offRegistryHealth = this.registry.onHealthChange((healthy) => {
        if (healthy && this.#state === "running") void this.runMaintenance();
      });
    }
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** Replaces the launcher's logger (the CLI does, with the level of `--agents-log-level`). */
  setLogger(logger: Logger): void {
    this.#logger = logger.child({ node_id: this.nodeId });
    this.#shareLogger();
  }

  /** Hands the launcher's logger to a registry that logs (its outages and recoveries). */
  #shareLogger(): void {
    if (typeof this.registry.setLogger === "function") this.registry.setLogger(this.#logger);
  }

  /** True once warm-up finished. */
  get warmedUp(): boolean {
    return this.#warmedUp;
  }

  /**
   * Whether this node takes a new session now: started, warmed up, not draining, the registry
   * reachable and room under `maxConcurrentSessions`. What `GET /ready` answers.
   */
  get ready(): boolean {
    const max = this.options.maxConcurrentSessions;
    return (
      this.#state === "running" &&
      this.#warmedUp &&
      this.registry.healthy &&
      (max === null || this.#occupied < max)
    );
  }

  get stats(): LauncherStats {
    return {
      running: this.#sessions.size,
      starting: this.#starting,
      closing: this.#closing.size,
      occupied: this.#occupied,
      capacity: this.options.maxConcurrentSessions,
      warmedUp: this.#warmedUp,
      draining: this.#state === "draining" || this.#state === "stopped",
    };
  }

  /** The edge of the warm-up agent (known after `prepare()`), e.g. for its demo page. */
  get edge(): Edge | undefined {
    return this.#edge;
  }

  /** HTTP routes the agent's edge wants served (signalling, a demo page); known after `prepare()`. */
  get edgeRoutes(): EdgeHttpRoutes | undefined {
    return this.#edgeRoutes;
  }

  /** The page where a person can join `call`, when the edge has one. */
  demoUrl(call: Call | undefined, baseUrl: string): string | undefined {
    return this.#edge?.demoUrl?.(call, baseUrl);
  }

  /**
   * Creates the dry-run agent warm-up will use and learns its edge (and the edge's HTTP
   * routes). Idempotent. The server calls it while registering routes, before `start()`.
   */
  async prepare(): Promise<void> {
    this.#preparing ??= (async () => {
      let agent: Agent;
      try {
        agent = await this.#newAgent();
      } catch (error) {
        throw warmupFailed(error);
      }
      this.#dryRunAgent = agent;
      this.#edge = agent.edge;
      this.#edgeRoutes = agent.edge.httpRoutes?.();
      return agent;
    })();
    await this.#preparing;
  }

  /**
   * Warms the agent's components up (models loaded, connections opened) on a dry-run agent,
   * then closes it. Idempotent; `start()` calls it.
   */
  warmup(): Promise<void> {
    this.#warming ??= (async () => {
      const t0 = performance.now();
      this.#logger.info("warming up the agent");
      await this.prepare();
      const agent = this.#dryRunAgent;
      this.#dryRunAgent = undefined;
      if (agent === undefined) throw new ClosedError("AgentLauncher");
      try {
        await agent.warmup({ signal: this.#stopSignal.signal });
      } catch (error) {
        throw warmupFailed(error);
      } finally {
        await this.#closeAgent(agent, "warmup", this.#logger);
      }
      this.#warmedUp = true;
      const durationMs = performance.now() - t0;
      this.#logger.info({ duration_ms: Math.round(durationMs) }, "agent warmed up");
      this.emit("warmed_up", durationMs);
    })();
    return this.#warming;
  }

  /**
   * Starts the maintenance loop and warms up; resolves when warm-up finished (rejects if it
   * failed). Idempotent. Sessions are refused (`LauncherUnavailableError`) until it resolves.
   */
  start(): Promise<void> {
    if (this.#state === "draining" || this.#state === "stopped") {
      return Promise.reject(
        new LauncherUnavailableError(this.#state === "draining" ? "draining" : "stopped"),
      );
    }
    if (this.#state === "idle") {
      this.#state = "running";
      this.#timer = setInterval(() => {
        this.runMaintenance().catch((error: unknown) =>
          this.#logger.error({ err: error }, "maintenance cycle failed"),
        );
      }, this.options.maintenanceIntervalMs);
      this.#timer.unref();
    }
    return this.warmup();
  }

  /**
   * Starts a session: reserves a slot under this node's capacity (synchronously, so
   * concurrent starts cannot overshoot) and under the call's limit (atomically in the
   * registry), creates the agent, and runs `joinCall` in the background. Resolves as soon as
   * the session is registered, without waiting for the call.
   *
   * @throws SessionLimitError at a limit; LauncherUnavailableError before warm-up, while
   *   draining or when the registry is down; SessionStartError when `createAgent` failed.
   */
  async startSession(request: { callId: string; callType?: string }): Promise<SessionInfo> {
    const callId = checkId("callId", request?.callId);
    const callType = checkId("callType", request.callType ?? "default");
    const refusal = this.#admissionRefusal();
    if (refusal !== undefined) {
      this.#rejected({
        callId,
        callType,
        code: refusal instanceof SessionLimitError ? refusal.code : "unavailable",
      });
      throw refusal;
    }
    // Admitted: the slot is held from here, before any await.
    this.#occupied += 1;
    this.#starting += 1;
    const startedAtMs = performance.now();
    const record: SessionRecord = {
      sessionId: randomUUID(),
      callId,
      callType,
      nodeId: this.nodeId,
      startedAt: new Date().toISOString(),
      metrics: null,
      metricsGeneratedAt: null,
    };
    let reserved = false;
    let agent: Agent | undefined;
    try {
      let result: Awaited<ReturnType<SessionRegistry["reserve"]>>;
      try {
        result = await this.registry.reserve(record, {
          maxSessionsPerCall: this.options.maxSessionsPerCall,
          ttlMs: this.options.registryTtlMs,
        });
      } catch (error) {
        throw new LauncherUnavailableError("registry_unavailable", { cause: error });
      }
      if (!result.ok) throw new SessionLimitError("max_sessions_per_call");
      reserved = true;
      if (this.#state !== "running") throw new LauncherUnavailableError(this.#unavailableReason());
      try {
        agent = await this.#newAgent();
      } catch (error) {
        throw new SessionStartError(error);
      }
      if (this.#state !== "running") throw new LauncherUnavailableError(this.#unavailableReason());
    } catch (error) {
      this.#starting -= 1;
      const sessionLogger = this.#logger.child({ session_id: record.sessionId, call_id: callId });
      if (reserved) void this.#removeFromRegistry(record, sessionLogger);
      if (agent !== undefined) void this.#closeAgent(agent, "refused", sessionLogger);
      this.#release();
      if (error instanceof SessionStartError) {
        sessionLogger.error({ err: error.cause }, "failed to start agent");
        this.#rejected({ callId, callType, code: "agent_start_failed" });
      } else if (error instanceof SessionLimitError) {
        this.#rejected({ callId, callType, code: error.code });
      } else {
        this.#logger.warn({ err: error, call_id: callId }, "session refused");
        this.#rejected({ callId, callType, code: "unavailable" });
      }
      throw error;
    }

    this.#starting -= 1;
    const logger = this.#logger.child({ session_id: record.sessionId, call_id: callId });
    agent.setLogger(logger);
    const session = new LocalSession(record, agent, startedAtMs, logger);
    this.#sessions.set(record.sessionId, session);
    const startDurationMs = performance.now() - startedAtMs;
    logger.info({ call_type: callType, start_ms: Math.round(startDurationMs * 10) / 10 }, "session started");
    this.emit("session_started", {
      sessionId: record.sessionId,
      callId,
      callType,
      startedAt: record.startedAt,
      startDurationMs,
    });

    const joinCall = this.#joinCall;
    Promise.resolve()
      .then(() => joinCall(agent, callType, callId))
      .then(
        () => {
          void this.#end(session, "completed");
        },
        (error: unknown) => {
          if (session.state === "running")
            logger.error({ err: error }, "joinCall failed; ending the session");
          else logger.debug({ err: error }, "joinCall threw after the session was closed");
          void this.#end(session, "error", error);
        },
      );
    return session.info;
  }

  /**
   * Closes a session: at once when this node runs it (resolving once it is gone from the
   * registry), else by flagging it in the registry for its owner's next maintenance cycle.
   * True when the session exists (closing an already-closing session is still true).
   */
  async closeSession(sessionId: string): Promise<boolean> {
    const local = this.#sessions.get(sessionId);
    if (local !== undefined) {
      await this.#end(local, "closed");
      return true;
    }
    if (this.#closing.has(sessionId)) return true;
    return this.registry.requestClose(sessionId);
  }

  /** A session of any node sharing the registry; null when unknown, ended or closing. */
  async getSession(sessionId: string): Promise<SessionInfo | null> {
    const local = this.#sessions.get(sessionId);
    if (local !== undefined) return local.info;
    if (this.#closing.has(sessionId)) return null;
    const record = await this.registry.get(sessionId);
    return record === null ? null : toInfo(record, record.nodeId === this.nodeId);
  }

  /** Live metrics of a local session; the last flushed copy of a remote one; null when unknown. */
  async getSessionMetrics(sessionId: string): Promise<SessionMetrics | null> {
    const local = this.#sessions.get(sessionId);
    if (local !== undefined) {
      return {
        session: local.info,
        metrics: local.agent.metrics.snapshot(),
        generatedAt: new Date().toISOString(),
      };
    }
    if (this.#closing.has(sessionId)) return null;
    const record = await this.registry.get(sessionId);
    if (record === null) return null;
    return {
      session: toInfo(record, record.nodeId === this.nodeId),
      metrics: record.metrics ?? emptySnapshot(),
      generatedAt: record.metricsGeneratedAt ?? new Date().toISOString(),
    };
  }

  /** The agent of a session this node runs (for tests and embedding); undefined otherwise. */
  localAgent(sessionId: string): Agent | undefined {
    return this.#sessions.get(sessionId)?.agent;
  }

  /**
   * Runs one maintenance cycle now (the loop runs it every `maintenanceIntervalMs`): ends
   * sessions idle or over their duration, acts on close requests, flushes metrics and
   * refreshes this node's registry entries. Never throws; failures are logged.
   */
  runMaintenance(): Promise<void> {
    this.#tick ??= this.#maintain().finally(() => {
      this.#tick = undefined;
    });
    return this.#tick;
  }

  /**
   * Stops taking sessions (`ready` false, starts refused with LauncherUnavailableError), lets
   * running sessions go on for up to `timeoutMs` (default `drainTimeoutMs`), then closes the
   * rest with reason "drain". Resolves when no session is left. Idempotent.
   */
  drain(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#draining ??= (async () => {
      if (this.#state === "idle" || this.#state === "running") this.#state = "draining";
      const timeoutMs = options.timeoutMs ?? this.options.drainTimeoutMs;
      this.emit("draining");
      if (this.#occupied > 0) {
        this.#logger.info({ sessions: this.#occupied, timeout_ms: timeoutMs }, "draining");
        await this.#whenEmpty(timeoutMs);
      }
      const left = [...this.#sessions.values()];
      if (left.length > 0)
        this.#logger.info({ sessions: left.length }, "drain timeout: closing the sessions left");
      await Promise.all(left.map((s) => this.#end(s, "drain")));
      await this.#whenEmpty(Number.POSITIVE_INFINITY);
    })();
    return this.#draining;
  }

  /**
   * Closes every session now (reason "drain"), stops the maintenance loop and closes the
   * registry. Cuts a running `drain()` short. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopSignal.abort();
      await this.drain({ timeoutMs: 0 });
      this.#state = "stopped";
      this.#offRegistryHealth?.();
      this.#offRegistryHealth = undefined;
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.#timer = undefined;
      await this.#tick;
      await this.#warming?.catch(() => undefined);
      const dryRun = this.#dryRunAgent;
      this.#dryRunAgent = undefined;
      if (dryRun !== undefined) await this.#closeAgent(dryRun, "stopped", this.#logger);
      try {
        await this.#edge?.close?.();
      } catch (error) {
        this.#logger.warn({ err: error }, "closing the edge failed");
      }
      try {
        await this.registry.close();
      } catch (error) {
        this.#logger.warn({ err: error }, "closing the registry failed");
      }
      this.#logger.info("launcher stopped");
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  // ---- internals ----

  async #newAgent(): Promise<Agent> {
    const agent = await this.#createAgent();
    // Duck-typed, so an Agent from a second copy of callwright (a dual install) still works.
    const a = agent as Partial<Agent> | null | undefined;
    if (
      !(agent instanceof Agent) &&
      (typeof a?.close !== "function" ||
        typeof a.warmup !== "function" ||
        typeof a.setLogger !== "function" ||
        typeof a.idleForMs !== "function" ||
        typeof a.metrics?.snapshot !== "function")
    ) {
      throw new TypeError(`createAgent must return an Agent (got ${agent === null ? "null" : typeof agent})`);
    }
    return agent;
  }

  #admissionRefusal(): CallwrightError | undefined {
    if (this.#state !== "running") return new LauncherUnavailableError(this.#unavailableReason());
    if (!this.#warmedUp) return new LauncherUnavailableError("warming_up");
    const max = this.options.maxConcurrentSessions;
    if (max !== null && this.#occupied >= max) return new SessionLimitError("max_concurrent_sessions");
    return undefined;
  }

  #unavailableReason(): "not_started" | "draining" | "stopped" {
    if (this.#state === "idle") return "not_started";
    return this.#state === "stopped" ? "stopped" : "draining";
  }

  #rejected(event: SessionRejectedEvent): void {
    this.emit("session_rejected", event);
  }

  /**
   * Ends a session once (the first reason wins): hides it, removes it from the registry and
   * closes its agent; the slot is freed when both are done. Resolves once the registry entry
   * is gone.
   */
  #end(session: LocalSession, reason: SessionEndReason, error?: unknown): Promise<void> {
    if (session.state !== "running") return session.removed;
    session.state = "closing";
    const { sessionId, callId, callType } = session.record;
    this.#sessions.delete(sessionId);
    this.#closing.set(sessionId, session);
    session.logger.info({ reason }, "session ending");
    session.removed = this.#removeFromRegistry(session.record, session.logger);
    const closed = this.#closeAgent(session.agent, reason, session.logger);
    void Promise.all([session.removed, closed]).then(() => {
      this.#closing.delete(sessionId);
      this.#release();
      const durationMs = performance.now() - session.startedAtMs;
      session.logger.info({ reason, duration_ms: Math.round(durationMs) }, "session ended");
      this.emit("session_ended", {
        sessionId,
        callId,
        callType,
        reason,
        durationMs,
        ...(reason === "error" ? { error } : {}),
      });
    });
    return session.removed;
  }

  async #removeFromRegistry(record: SessionRecord, logger: Logger): Promise<void> {
    try {
      await this.registry.remove(record.sessionId, record.callId);
    } catch (error) {
      logger.warn({ err: error }, "removing the session from the registry failed (its entry expires by TTL)");
    }
  }

  async #closeAgent(agent: Agent, reason: string, logger: Logger): Promise<void> {
    try {
      await agent.close(reason);
    } catch (error) {
      logger.warn({ err: error }, "closing the agent failed");
    }
  }

  #release(): void {
    this.#occupied -= 1;
    if (this.#occupied === 0) {
      for (const wake of [...this.#emptyWaiters]) wake();
    }
  }

  /** Resolves when no session is admitted, after `timeoutMs`, or when `stop()` is called. */
  #whenEmpty(timeoutMs: number): Promise<void> {
    if (this.#occupied === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const signal = this.#stopSignal.signal;
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.#emptyWaiters.delete(done);
        signal.removeEventListener("abort", done);
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#emptyWaiters.add(done);
      if (Number.isFinite(timeoutMs)) {
        signal.addEventListener("abort", done);
        timer = setTimeout(done, timeoutMs);
      }
    });
  }

  async #maintain(): Promise<void> {
    const { agentIdleTimeoutMs, maxSessionDurationMs, registryTtlMs } = this.options;
    const now = performance.now();
    for (const session of [...this.#sessions.values()]) {
      try {
        if (agentIdleTimeoutMs > 0 && session.agent.idleForMs() >= agentIdleTimeoutMs) {
          void this.#end(session, "idle");
        } else if (maxSessionDurationMs !== null && now - session.startedAtMs >= maxSessionDurationMs) {
          void this.#end(session, "duration");
        }
      } catch (error) {
        session.logger.error({ err: error }, "checking the session's limits failed");
      }
    }
    if (this.#state === "stopped") return;
    if (!this.registry.healthy) {
      if (!this.#registryDownLogged && this.#sessions.size > 0) {
        this.#registryDownLogged = true;
        this.#logger.warn(
          { sessions: this.#sessions.size },
          "session registry unreachable: running sessions go on; they are written back when it returns",
        );
      }
      return;
    }
    if (this.#registryDownLogged) {
      this.#registryDownLogged = false;
      this.#logger.info(
        { sessions: this.#sessions.size },
        "session registry back: writing this node's sessions",
      );
    }

    const live = [...this.#sessions.keys()];
    if (live.length > 0) {
      try {
        const requested = await this.registry.closeRequested(live);
        for (const id of requested) {
          const session = this.#sessions.get(id);
          if (session !== undefined) void this.#end(session, "closed");
        }
      } catch (error) {
        this.#logger.warn({ err: error }, "reading close requests from the registry failed");
      }
    }

    const generatedAt = new Date().toISOString();
    const records: SessionRecord[] = [];
    for (const session of this.#sessions.values()) {
      try {
        records.push({
          ...session.record,
          metrics: session.agent.metrics.snapshot(),
          metricsGeneratedAt: generatedAt,
        });
      } catch (error) {
        session.logger.warn({ err: error }, "reading the session's metrics failed");
        records.push({ ...session.record });
      }
    }
    try {
      await this.registry.refresh(records, { ttlMs: registryTtlMs });
    } catch (error) {
      this.#logger.warn({ err: error }, "refreshing the registry failed");
      return;
    }
    // A session that ended while the refresh was in flight may have been written back: remove it again.
    for (const record of records) {
      if (!this.#sessions.has(record.sessionId)) {
        const logger = this.#logger.child({ session_id: record.sessionId, call_id: record.callId });
        void this.#removeFromRegistry(record, logger);
      }
    }
  }
}

/** Why warm-up failed, said once: `warm-up failed: <cause>`. */
function warmupFailed(cause: unknown): CallwrightError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new CallwrightError(`warm-up failed: ${why}`, { code: "warmup_failed", fault: "system", cause });
}

function toInfo(record: SessionRecord, local: boolean): SessionInfo {
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
function emptySnapshot(): MetricsSnapshot {
  return new MetricsCollector().snapshot();
}
