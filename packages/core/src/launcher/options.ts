import type { Agent } from "../agent/agent.js";
import { ConfigError } from "../errors/index.js";
import type { Logger } from "../log/index.js";
import type { SessionRegistry } from "../registry/types.js";

/** Creates one agent: one per session, and one dry-run agent at warm-up. */
export type CreateAgent = () => Agent | Promise<Agent>;

/**
 * Joins the call with the agent. The session lasts until this resolves or throws (or the
 * launcher closes it: idle, max duration, a close request, drain).
 */
export type JoinCall = (agent: Agent, callType: string, callId: string) => Promise<void> | void;

export interface AgentLauncherOptions {
  createAgent: CreateAgent;
  joinCall: JoinCall;
  /**
   * Close a session once its agent has been alone in the call this long, in ms; 0 = never.
   * Default 60 000 (60 s).
   */
  agentIdleTimeoutMs?: number;
  /** Sessions this node runs at once (starting + running + closing); null = unlimited. Default null. */
  maxConcurrentSessions?: number | null;
  /** Sessions per call, counted over every node sharing the registry; null = unlimited. Default null. */
  maxSessionsPerCall?: number | null;
  /** Hard cap on a session's length from its start, in ms; null = unlimited. Default null. */
  maxSessionDurationMs?: number | null;
  /**
   * How often the maintenance loop runs (idle and duration limits, close requests from other
   * nodes, metrics flush and registry TTL refresh), in ms. Default 5 000 (5 s).
   */
  maintenanceIntervalMs?: number;
  /** Where sessions are recorded. Default a new in-memory registry (one process). */
  registry?: SessionRegistry;
  /**
   * TTL of this node's registry entries, in ms, refreshed every maintenance cycle; must exceed
   * `maintenanceIntervalMs`. A node that dies leaves no session behind for longer. Default 30 000.
   */
  registryTtlMs?: number;
  /** On `drain()` (SIGTERM), how long running sessions may go on before being closed, in ms. Default 30 000. */
  drainTimeoutMs?: number;
  /**
   * A session whose agent has not joined its call (`agent.join` connected) this long after the
   * start is ended (reason "error", a `JoinTimeoutError`), so a `joinCall` that hangs cannot
   * hold its slot forever; in ms, 0 = never. Default 60 000 (60 s).
   */
  joinTimeoutMs?: number;
  /**
   * Contain agent faults per session: an uncaught exception or unhandled rejection raised by a
   * session's code (anything `joinCall` started, timers included) ends that session alone,
   * logged with its session_id and call_id, instead of the process. Installs process-wide
   * `uncaughtException`/`unhandledRejection` handlers while the launcher runs (docs/security.md).
   * Default true.
   */
  containFaults?: boolean;
  /** This node's id in the registry. Default a random UUID. */
  nodeId?: string;
  /** Where the launcher and its agents log (each session gets a child with session_id and call_id). */
  logger?: Logger;
}

/** Defaults of the optional launcher options (durations in ms). */
export const defaultLauncherOptions = {
  agentIdleTimeoutMs: 60_000,
  maxConcurrentSessions: null,
  maxSessionsPerCall: null,
  maxSessionDurationMs: null,
  maintenanceIntervalMs: 5_000,
  registryTtlMs: 30_000,
  drainTimeoutMs: 30_000,
  joinTimeoutMs: 60_000,
  containFaults: true,
} as const satisfies Partial<AgentLauncherOptions>;

/** The launcher's options after defaults and validation (functions, registry and logger aside). */
export interface ResolvedLauncherOptions {
  readonly agentIdleTimeoutMs: number;
  readonly maxConcurrentSessions: number | null;
  readonly maxSessionsPerCall: number | null;
  readonly maxSessionDurationMs: number | null;
  readonly maintenanceIntervalMs: number;
  readonly registryTtlMs: number;
  readonly drainTimeoutMs: number;
  readonly joinTimeoutMs: number;
  readonly containFaults: boolean;
}

/** setTimeout/setInterval cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

function describe(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
    return String(value);
  }
  return typeof value;
}

function positiveIntegerOrNull(name: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`${name} must be a positive integer or null (got ${describe(value)})`);
  }
  return value;
}

function durationMs(
  name: string,
  value: unknown,
  rule: { allowZero: boolean; allowNull: boolean; max?: number },
): number | null {
  if (value === null && rule.allowNull) return null;
  const bound = rule.allowZero ? ">= 0" : "> 0";
  const nullable = rule.allowNull ? " or null" : "";
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (value === 0 && !rule.allowZero)) {
    throw new ConfigError(
      `${name} must be a number of milliseconds ${bound}${nullable} (got ${describe(value)})`,
    );
  }
  if (rule.max !== undefined && value > rule.max) {
    throw new ConfigError(`${name} must be at most ${rule.max} ms (got ${value})`);
  }
  return value;
}

/**
 * Applies defaults and checks every option, throwing a ConfigError that names the option and
 * says what is allowed (as the Python launcher does: 0 or negative limits are refused).
 */
export function resolveLauncherOptions(options: AgentLauncherOptions): ResolvedLauncherOptions {
  if (options === null || typeof options !== "object") {
    throw new ConfigError("AgentLauncher needs an options object: { createAgent, joinCall, ... }");
  }
  if (typeof options.createAgent !== "function") {
    throw new ConfigError("createAgent must be a function that returns an Agent (or a promise of one)");
  }
  if (typeof options.joinCall !== "function") {
    throw new ConfigError("joinCall must be a function (agent, callType, callId) => Promise<void>");
  }
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const merged = { ...defaultLauncherOptions, ...given } as Record<string, unknown>;

  const resolved: ResolvedLauncherOptions = {
    agentIdleTimeoutMs: durationMs("agentIdleTimeoutMs", merged.agentIdleTimeoutMs, {
      allowZero: true,
      allowNull: false,
    }) as number,
    maxConcurrentSessions: positiveIntegerOrNull("maxConcurrentSessions", merged.maxConcurrentSessions),
    maxSessionsPerCall: positiveIntegerOrNull("maxSessionsPerCall", merged.maxSessionsPerCall),
    maxSessionDurationMs: durationMs("maxSessionDurationMs", merged.maxSessionDurationMs, {
      allowZero: false,
      allowNull: true,
    }),
    maintenanceIntervalMs: durationMs("maintenanceIntervalMs", merged.maintenanceIntervalMs, {
      allowZero: false,
      allowNull: false,
      max: MAX_TIMER_MS,
    }) as number,
    registryTtlMs: durationMs("registryTtlMs", merged.registryTtlMs, {
      allowZero: false,
      allowNull: false,
    }) as number,
    drainTimeoutMs: durationMs("drainTimeoutMs", merged.drainTimeoutMs, {
      allowZero: true,
      allowNull: false,
      max: MAX_TIMER_MS,
    }) as number,
    joinTimeoutMs: durationMs("joinTimeoutMs", merged.joinTimeoutMs, {
      allowZero: true,
      allowNull: false,
      max: MAX_TIMER_MS,
    }) as number,
    containFaults: merged.containFaults !== false,
  };
  if (resolved.registryTtlMs <= resolved.maintenanceIntervalMs) {
    throw new ConfigError(
      `registryTtlMs (${resolved.registryTtlMs}) must exceed maintenanceIntervalMs (${resolved.maintenanceIntervalMs}), ` +
        "or live sessions expire between two refreshes",
    );
  }
  if (options.nodeId !== undefined && (typeof options.nodeId !== "string" || options.nodeId.length === 0)) {
    throw new ConfigError(`nodeId must be a non-empty string (got ${describe(options.nodeId)})`);
  }
  if (options.registry !== undefined) {
    const r = options.registry as unknown as Record<string, unknown>;
    const missing = ["reserve", "refresh", "get", "requestClose", "closeRequested", "remove", "close"].filter(
      (m) => typeof r?.[m] !== "function",
    );
    if (missing.length > 0) {
      throw new ConfigError(`registry must implement SessionRegistry (missing: ${missing.join(", ")})`);
    }
  }
  if (
    options.logger !== undefined &&
    (typeof options.logger?.child !== "function" || typeof options.logger?.info !== "function")
  ) {
    throw new ConfigError("logger must be a pino logger (or have the same child/info/error methods)");
  }
  return resolved;
}
