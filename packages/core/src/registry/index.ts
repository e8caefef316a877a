// Session registry: where sessions are recorded, found, metered and flagged for close.
// The in-memory store serves one process; a Redis store (same interface) serves a cluster.
export { MemoryRegistry, type MemoryRegistryOptions } from "./memory.js";
export {
  defaultRedisRegistryOptions,
  RedisRegistry,
  type RedisRegistryEvents,
  type RedisRegistryOptions,
  RegistryUnavailableError,
} from "./redis.js";
export type { ReserveResult, SessionRecord, SessionRegistry } from "./types.js";
