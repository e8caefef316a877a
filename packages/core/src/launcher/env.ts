import { ConfigError } from "../errors/index.js";
import { RedisRegistry } from "../registry/redis.js";
import type { SessionRegistry } from "../registry/types.js";
import type { AgentLauncherOptions } from "./options.js";

/** Builds the registry `CALLWRIGHT_REDIS_URL` asks for. Default: a `RedisRegistry` on that URL and prefix. */
export type RegistryFactory = (options: {
  /** The value of `CALLWRIGHT_REDIS_URL`, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** The value of `CALLWRIGHT_REDIS_PREFIX` (default "callwright"). */
  prefix: string;
}) => SessionRegistry;

export interface LauncherEnvOptions {
  /** Used when `CALLWRIGHT_REDIS_URL` is set. Default `({ url, prefix }) => new RedisRegistry({ url, prefix })`. */
  registryFactory?: RegistryFactory;
}

/** The registry `CALLWRIGHT_REDIS_URL` gets by default. */
export const redisRegistryFactory: RegistryFactory = ({ url, prefix }) => new RedisRegistry({ url, prefix });

type Env = Readonly<Record<string, string | undefined>>;

/** The variable's trimmed value; undefined when unset or empty (empty means "use the default"). */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function fail(name: string, value: string, expected: string): never {
  throw new ConfigError(`invalid ${name}='${value}': expected ${expected}`);
}

function positiveInteger(env: Env, name: string): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  if (!/^\+?\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    fail(name, value, "a whole number >= 1 (unset it for no limit)");
  }
  return Number(value);
}

/** Seconds (decimals allowed) as milliseconds. */
function seconds(env: Env, name: string, rule: { allowZero: boolean }): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const n = /^\+?(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || (n === 0 && !rule.allowZero)) {
    fail(name, value, `a number of seconds ${rule.allowZero ? ">= 0" : "> 0"}`);
  }
  return Math.round(n * 1000 * 1000) / 1000;
}

/**
 * The launcher and registry options set in the environment (docs/http-api.md), for the
 * default example agent and any agent that wants them:
 *
 * | variable | option | default |
 * |---|---|---|
 * | `CALLWRIGHT_MAX_CONCURRENT_SESSIONS` | maxConcurrentSessions | unlimited |
 * | `CALLWRIGHT_MAX_SESSIONS_PER_CALL` | maxSessionsPerCall | unlimited |
 * | `CALLWRIGHT_MAX_SESSION_DURATION_S` | maxSessionDurationMs | unlimited |
 * | `CALLWRIGHT_AGENT_IDLE_TIMEOUT_S` | agentIdleTimeoutMs (0 = never) | 60 |
 * | `CALLWRIGHT_MAINTENANCE_INTERVAL_S` | maintenanceIntervalMs | 5 |
 * | `CALLWRIGHT_REGISTRY_TTL_S` | registryTtlMs | 30 |
 * | `CALLWRIGHT_DRAIN_TIMEOUT_S` | drainTimeoutMs | 30 |
 * | `CALLWRIGHT_JOIN_TIMEOUT_S` | joinTimeoutMs (0 = never) | 60 |
 * | `CALLWRIGHT_REDIS_URL` | registry: a `RedisRegistry` (or what `registryFactory` builds) | in-memory |
 * | `CALLWRIGHT_REDIS_PREFIX` | the Redis key prefix | `callwright` |
 *
 * Only the variables that are set (non-empty) appear in the result, so it spreads over
 * defaults: `new AgentLauncher({ createAgent, joinCall, ...launcherOptionsFromEnv(process.env) })`.
 *
 * @throws ConfigError naming the variable when a value is malformed.
 */
export function launcherOptionsFromEnv(
  env: Env = process.env,
  options: LauncherEnvOptions = {},
): Partial<Omit<AgentLauncherOptions, "createAgent" | "joinCall">> {
  const out: Partial<Omit<AgentLauncherOptions, "createAgent" | "joinCall">> = {};
  const maxConcurrentSessions = positiveInteger(env, "CALLWRIGHT_MAX_CONCURRENT_SESSIONS");
  if (maxConcurrentSessions !== undefined) out.maxConcurrentSessions = maxConcurrentSessions;
  const maxSessionsPerCall = positiveInteger(env, "CALLWRIGHT_MAX_SESSIONS_PER_CALL");
  if (maxSessionsPerCall !== undefined) out.maxSessionsPerCall = maxSessionsPerCall;
  const maxSessionDurationMs = seconds(env, "CALLWRIGHT_MAX_SESSION_DURATION_S", { allowZero: false });
  if (maxSessionDurationMs !== undefined) out.maxSessionDurationMs = maxSessionDurationMs;
  const agentIdleTimeoutMs = seconds(env, "CALLWRIGHT_AGENT_IDLE_TIMEOUT_S", { allowZero: true });
  if (agentIdleTimeoutMs !== undefined) out.agentIdleTimeoutMs = agentIdleTimeoutMs;
  const maintenanceIntervalMs = seconds(env, "CALLWRIGHT_MAINTENANCE_INTERVAL_S", { allowZero: false });
  if (maintenanceIntervalMs !== undefined) out.maintenanceIntervalMs = maintenanceIntervalMs;
  const registryTtlMs = seconds(env, "CALLWRIGHT_REGISTRY_TTL_S", { allowZero: false });
  if (registryTtlMs !== undefined) out.registryTtlMs = registryTtlMs;
  const drainTimeoutMs = seconds(env, "CALLWRIGHT_DRAIN_TIMEOUT_S", { allowZero: true });
  if (drainTimeoutMs !== undefined) out.drainTimeoutMs = drainTimeoutMs;
  const joinTimeoutMs = seconds(env, "CALLWRIGHT_JOIN_TIMEOUT_S", { allowZero: true });
  if (joinTimeoutMs !== undefined) out.joinTimeoutMs = joinTimeoutMs;

  const prefix = read(env, "CALLWRIGHT_REDIS_PREFIX") ?? "callwright";
  if (!/^[\w.:-]+$/.test(prefix)) {
    fail("CALLWRIGHT_REDIS_PREFIX", prefix, "letters, digits and . _ : - only");
  }
  const url = read(env, "CALLWRIGHT_REDIS_URL");
  if (url !== undefined) {
    if (!/^rediss?:\/\//i.test(url) || !URL.canParse(url)) {
      fail("CALLWRIGHT_REDIS_URL", url.replace(/\/\/[^@/]*@/, "//***@"), "a redis:// or rediss:// URL");
    }
    out.registry = (options.registryFactory ?? redisRegistryFactory)({ url, prefix });
  }
  return out;
}
