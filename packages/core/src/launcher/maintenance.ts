// launcher maintenance: the periodic pass over this node's sessions (idle and duration limits,
// close requests from other nodes, metrics flush and registry TTL refresh), one pass at a time.
import type { Logger } from "../log/index.js";
import type { SessionRecord, SessionRegistry } from "../registry/types.js";
import type { ResolvedLauncherOptions } from "./options.js";
import { type LocalSession, removeFromRegistry } from "./session.js";
import type { SessionEndReason } from "./types.js";

export interface MaintenanceContext {
  readonly options: Pick<
    ResolvedLauncherOptions,
    "agentIdleTimeoutMs" | "maxSessionDurationMs" | "registryTtlMs" | "maintenanceIntervalMs"
  >;
  readonly registry: SessionRegistry;
  /** The sessions this node runs (with a live agent), by id. */
  readonly sessions: ReadonlyMap<string, LocalSession>;
  /** The launcher's logger now (`setLogger` may replace it). */
  logger(): Logger;
  /** True once the launcher stopped: the pass then leaves the registry alone. */
  stopped(): boolean;
  /** Ends a session (the launcher's teardown; the first reason wins). */
  end(session: LocalSession, reason: SessionEndReason): Promise<void>;
}

/** The maintenance loop: `start()` runs a pass every `maintenanceIntervalMs`, `stop()` ends it. */
export class Maintenance {
  readonly #ctx: MaintenanceContext;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  /** True while the registry is known unreachable and that was logged (once per outage). */
  #registryDownLogged = false;

  constructor(ctx: MaintenanceContext) {
    this.#ctx = ctx;
  }

  /** The launcher's logger, read at each use (it may have been replaced). */
  get #logger(): Logger {
    return this.#ctx.logger();
  }

  /** Starts the loop (its timer does not keep the process alive). */
  start(): void {
    this.#timer = setInterval(() => {
      this.run().catch((error: unknown) => this.#logger.error({ err: error }, "maintenance cycle failed"));
    }, this.#ctx.options.maintenanceIntervalMs);
    this.#timer.unref();
  }

  /** Runs one pass now, or joins the one under way. Never throws; failures are logged. */
  run(): Promise<void> {
    this.#tick ??= this.#pass().finally(() => {
      this.#tick = undefined;
    });
    return this.#tick;
  }

  /** Stops the loop and waits for a pass under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }

  async #pass(): Promise<void> {
    const { options, registry, sessions } = this.#ctx;
    const { agentIdleTimeoutMs, maxSessionDurationMs, registryTtlMs } = options;
    const now = performance.now();
    for (const session of [...sessions.values()]) {
      try {
        if (agentIdleTimeoutMs > 0 && session.agent.idleForMs() >= agentIdleTimeoutMs) {
          void this.#ctx.end(session, "idle");
        } else if (maxSessionDurationMs !== null && now - session.startedAtMs >= maxSessionDurationMs) {
          void this.#ctx.end(session, "duration");
        }
      } catch (error) {
        session.logger.error({ err: error }, "checking the session's limits failed");
      }
    }
    if (this.#ctx.stopped()) return;
    if (!registry.healthy) {
      if (!this.#registryDownLogged && sessions.size > 0) {
        this.#registryDownLogged = true;
        this.#logger.warn(
          { sessions: sessions.size },
          "session registry unreachable: running sessions go on; they are written back when it returns",
        );
      }
      return;
    }
    if (this.#registryDownLogged) {
      this.#registryDownLogged = false;
      this.#logger.info({ sessions: sessions.size }, "session registry back: writing this node's sessions");
    }

    const live = [...sessions.keys()];
    if (live.length > 0) {
      try {
        const requested = await registry.closeRequested(live);
        for (const id of requested) {
          const session = sessions.get(id);
          if (session !== undefined) void this.#ctx.end(session, "closed");
        }
      } catch (error) {
        this.#logger.warn({ err: error }, "reading close requests from the registry failed");
      }
    }

    const generatedAt = new Date().toISOString();
    const records: SessionRecord[] = [];
    for (const session of sessions.values()) {
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
      await registry.refresh(records, { ttlMs: registryTtlMs });
    } catch (error) {
      this.#logger.warn({ err: error }, "refreshing the registry failed");
      return;
    }
    // A session that ended while the refresh was in flight may have been written back: remove it again.
    for (const record of records) {
      if (!sessions.has(record.sessionId)) {
        const logger = this.#logger.child({ session_id: record.sessionId, call_id: record.callId });
        void removeFromRegistry(registry, record, logger);
      }
    }
  }
}
