// launcher warm-up: a dry-run agent created before the first session, which tells the launcher
// its edge (and the edge's HTTP routes) and has its models and connections warmed, then closed.

import type { Edge, EdgeHttpRoutes } from "@callwright/spec";
import type { Agent } from "../agent/agent.js";
import { CallwrightError, ClosedError } from "../errors/index.js";
import type { Logger } from "../log/index.js";
import { closeAgent, newAgent } from "./agents.js";
import type { CreateAgent } from "./options.js";

export interface WarmupContext {
  readonly createAgent: CreateAgent;
  /** The launcher's logger now (`setLogger` may replace it). */
  logger(): Logger;
  /** Aborted when the launcher stops. */
  readonly signal: AbortSignal;
  /** Told once warm-up finished, with how long it took. */
  onWarmedUp(durationMs: number): void;
}

/** The launcher's warm-up: `prepare()` then `run()`, each idempotent; `close()` on stop. */
export class Warmup {
  readonly #ctx: WarmupContext;
  #warmedUp = false;
  #preparing: Promise<Agent> | undefined;
  #dryRunAgent: Agent | undefined;
  #warming: Promise<void> | undefined;
  #edge: Edge | undefined;
  #edgeRoutes: EdgeHttpRoutes | undefined;

  constructor(ctx: WarmupContext) {
    this.#ctx = ctx;
  }

  /** The launcher's logger, read at each use (it may have been replaced). */
  get #logger(): Logger {
    return this.#ctx.logger();
  }

  /** True once warm-up finished. */
  get warmedUp(): boolean {
    return this.#warmedUp;
  }

  /** The edge of the dry-run agent, known after `prepare()`. */
  get edge(): Edge | undefined {
    return this.#edge;
  }

  /** HTTP routes the edge wants served, known after `prepare()`. */
  get edgeRoutes(): EdgeHttpRoutes | undefined {
    return this.#edgeRoutes;
  }

  /** Creates the dry-run agent and learns its edge and the edge's HTTP routes. Idempotent. */
  async prepare(): Promise<void> {
    this.#preparing ??= (async () => {
      let agent: Agent;
      try {
        agent = await newAgent(this.#ctx.createAgent);
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

  /** Warms the dry-run agent's components up, then closes it. Idempotent. */
  run(): Promise<void> {
    this.#warming ??= (async () => {
      const t0 = performance.now();
      this.#logger.info("warming up the agent");
      await this.prepare();
      const agent = this.#dryRunAgent;
      this.#dryRunAgent = undefined;
      if (agent === undefined) throw new ClosedError("AgentLauncher");
      try {
        await agent.warmup({ signal: this.#ctx.signal });
      } catch (error) {
        throw warmupFailed(error);
      } finally {
        await closeAgent(agent, "warmup", this.#logger);
      }
      this.#warmedUp = true;
      const durationMs = performance.now() - t0;
      this.#logger.info({ duration_ms: Math.round(durationMs) }, "agent warmed up");
      this.#ctx.onWarmedUp(durationMs);
    })();
    return this.#warming;
  }

  /** Waits for a warm-up under way to settle and closes a dry-run agent not yet used. */
  async close(): Promise<void> {
    await this.#warming?.catch(() => undefined);
    const dryRun = this.#dryRunAgent;
    this.#dryRunAgent = undefined;
    if (dryRun !== undefined) await closeAgent(dryRun, "stopped", this.#logger);
  }
}

/** Why warm-up failed, said once: `warm-up failed: <cause>`. */
function warmupFailed(cause: unknown): CallwrightError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new CallwrightError(`warm-up failed: ${why}`, { code: "warmup_failed", fault: "system", cause });
}
