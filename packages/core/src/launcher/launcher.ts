import { randomUUID } from "node:crypto";
import { Evented } from "@callwright/provider-utils";
import type { Call, Edge, EdgeHttpRoutes } from "@callwright/spec";
import type { Agent } from "../agent/agent.js";
import type { CallwrightError } from "../errors/index.js";
import { createLogger, type Logger } from "../log/index.js";
import { MemoryRegistry } from "../registry/memory.js";
import type { SessionRecord, SessionRegistry } from "../registry/types.js";
import { closeAgent, newAgent } from "./agents.js";
import { holdFaultHandlers, runInSession, type SessionScope } from "./containment.js";
import {
  AgentFaultError,
  JoinTimeoutError,
  LauncherUnavailableError,
  SessionLimitError,
  SessionStartError,
} from "./errors.js";
import { Maintenance } from "./maintenance.js";
import {
  type AgentLauncherOptions,
  type CreateAgent,
  type JoinCall,
  type ResolvedLauncherOptions,
  resolveLauncherOptions,
} from "./options.js";
import { checkId, emptySnapshot, LocalSession, removeFromRegistry, toInfo } from "./session.js";
import { Slots } from "./slots.js";
import type {
  LauncherEvents,
  LauncherStats,
  SessionEndReason,
  SessionInfo,
  SessionMetrics,
  SessionRejectedEvent,
} from "./types.js";
import { Warmup } from "./warmup.js";

export { MAX_ID_LENGTH } from "./session.js";

type LauncherState = "idle" | "running" | "draining" | "stopped";

/**
 * Starts, meters and stops agent sessions on this node: warm-up, atomic admission under the
 * node's and the call's limits, `joinCall` in the background, a maintenance loop (idle and
 * duration limits, close requests, metrics flush, registry TTLs) and drain on shutdown.
 * A session ends when `joinCall` returns or throws; one session's failure never touches others.
 */
export class AgentLauncher extends Evented<LauncherEvents> {
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
  #starting = 0;

  #state: LauncherState = "idle";
  readonly #warmup: Warmup;
  readonly #maintenance: Maintenance;
  #draining: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #stopSignal = new AbortController();
  /** Admitted and not yet fully ended: starting + running + closing. */
  readonly #slots = new Slots(this.#stopSignal.signal);
  /** Stops listening to the registry's health (set when the registry reports it). */
  #offRegistryHealth: (() => void) | undefined;
  /** Removes the process-wide fault handlers this launcher holds (containFaults). */
  #releaseFaultHandlers: (() => void) | undefined;

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
    this.#warmup = new Warmup({
      createAgent: options.createAgent,
      logger: () => this.#logger,
      signal: this.#stopSignal.signal,
      onWarmedUp: (durationMs) => this.emit("warmed_up", durationMs),
    });
    this.#maintenance = new Maintenance({
      options: this.options,
      registry: this.registry,
      sessions: this.#sessions,
      logger: () => this.#logger,
      stopped: () => this.#state === "stopped",
      end: (session, reason) => this.#end(session, reason),
    });
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
    return this.#warmup.warmedUp;
  }

  /**
   * Whether this node takes a new session now: started, warmed up, not draining, the registry
   * reachable and room under `maxConcurrentSessions`. What `GET /ready` answers.
   */
  get ready(): boolean {
    const max = this.options.maxConcurrentSessions;
    return (
      this.#state === "running" &&
      this.#warmup.warmedUp &&
      this.registry.healthy &&
      (max === null || this.#slots.occupied < max)
    );
  }

  get stats(): LauncherStats {
    return {
      running: this.#sessions.size,
      starting: this.#starting,
      closing: this.#closing.size,
      occupied: this.#slots.occupied,
      capacity: this.options.maxConcurrentSessions,
      warmedUp: this.#warmup.warmedUp,
      draining: this.#state === "draining" || this.#state === "stopped",
    };
  }

  /** The edge of the warm-up agent (known after `prepare()`), e.g. for its demo page. */
  get edge(): Edge | undefined {
    return this.#warmup.edge;
  }

  /** HTTP routes the agent's edge wants served (signalling, a demo page); known after `prepare()`. */
  get edgeRoutes(): EdgeHttpRoutes | undefined {
    return this.#warmup.edgeRoutes;
  }

  /** The page where a person can join `call`, when the edge has one. */
  demoUrl(call: Call | undefined, baseUrl: string): string | undefined {
    return this.#warmup.edge?.demoUrl?.(call, baseUrl);
  }

  /**
   * Creates the dry-run agent warm-up will use and learns its edge (and the edge's HTTP
   * routes). Idempotent. The server calls it while registering routes, before `start()`.
   */
  prepare(): Promise<void> {
    return this.#warmup.prepare();
  }

  /**
   * Warms the agent's components up (models loaded, connections opened) on a dry-run agent,
   * then closes it. Idempotent; `start()` calls it.
   */
  warmup(): Promise<void> {
    return this.#warmup.run();
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
      this.#maintenance.start();
      if (this.options.containFaults) this.#releaseFaultHandlers = holdFaultHandlers();
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
    this.#slots.take();
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
        agent = await newAgent(this.#createAgent);
      } catch (error) {
        throw new SessionStartError(error);
      }
      if (this.#state !== "running") throw new LauncherUnavailableError(this.#unavailableReason());
    } catch (error) {
      this.#starting -= 1;
      const sessionLogger = this.#logger.child({ session_id: record.sessionId, call_id: callId });
      if (reserved) void removeFromRegistry(this.registry, record, sessionLogger);
      if (agent !== undefined) void closeAgent(agent, "refused", sessionLogger);
      this.#slots.release();
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
    const scope: SessionScope = {
      sessionId: record.sessionId,
      callId,
      fail: (error, kind) => {
        if (session.state !== "running") {
          logger.debug({ err: error, fault: kind }, "agent fault after the session ended");
          return;
        }
        logger.error({ err: error, fault: kind }, "agent fault; ending this session (others go on)");
        void this.#end(session, "error", new AgentFaultError(kind, error));
      },
    };
    this.#armJoinTimeout(session);
    Promise.resolve()
      .then(() => runInSession(scope, () => joinCall(agent, callType, callId)))
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
    return this.#maintenance.run();
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
      if (this.#slots.occupied > 0) {
        this.#logger.info({ sessions: this.#slots.occupied, timeout_ms: timeoutMs }, "draining");
        await this.#slots.whenEmpty(timeoutMs);
      }
      const left = [...this.#sessions.values()];
      if (left.length > 0)
        this.#logger.info({ sessions: left.length }, "drain timeout: closing the sessions left");
      await Promise.all(left.map((s) => this.#end(s, "drain")));
      await this.#slots.whenEmpty(Number.POSITIVE_INFINITY);
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
      await this.#maintenance.stop();
      this.#releaseFaultHandlers?.();
      this.#releaseFaultHandlers = undefined;
      await this.#warmup.close();
      try {
        await this.#warmup.edge?.close?.();
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

  #admissionRefusal(): CallwrightError | undefined {
    if (this.#state !== "running") return new LauncherUnavailableError(this.#unavailableReason());
    if (!this.#warmup.warmedUp) return new LauncherUnavailableError("warming_up");
    const max = this.options.maxConcurrentSessions;
    if (max !== null && this.#slots.occupied >= max) return new SessionLimitError("max_concurrent_sessions");
    return undefined;
  }

  #unavailableReason(): "not_started" | "draining" | "stopped" {
    if (this.#state === "idle") return "not_started";
    return this.#state === "stopped" ? "stopped" : "draining";
  }

  /** Ends `session` if its agent has not joined its call within `joinTimeoutMs`. */
  #armJoinTimeout(session: LocalSession): void {
    const timeoutMs = this.options.joinTimeoutMs;
    if (timeoutMs === 0) return;
    let joined = false;
    const offLeft = session.agent.on("left", () => {
      joined = true;
    });
    const timer = setTimeout(() => {
      offLeft();
      if (joined || session.agent.connection !== undefined || session.state !== "running") return;
      session.logger.warn({ join_timeout_ms: timeoutMs }, "the agent did not join its call in time");
      void this.#end(session, "error", new JoinTimeoutError(timeoutMs));
    }, timeoutMs);
    timer.unref();
    session.onEnd(() => {
      clearTimeout(timer);
      offLeft();
    });
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
    session.ended();
    const { sessionId, callId, callType } = session.record;
    this.#sessions.delete(sessionId);
    this.#closing.set(sessionId, session);
    session.logger.info({ reason }, "session ending");
    session.removed = removeFromRegistry(this.registry, session.record, session.logger);
    const closed = closeAgent(session.agent, reason, session.logger);
    void Promise.all([session.removed, closed]).then(() => {
      this.#closing.delete(sessionId);
      this.#slots.release();
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
}
