// launcher: starts, meters and stops agent sessions on this node (warm-up, admission under
// limits, background joinCall, maintenance loop, drain), over a shared session registry.
export {
  type LauncherEnvOptions,
  launcherOptionsFromEnv,
  type RegistryFactory,
  redisRegistryFactory,
} from "./env.js";
export {
  AgentFaultError,
  JoinTimeoutError,
  LauncherUnavailableError,
  type SessionLimitCode,
  SessionLimitError,
  SessionStartError,
  type UnavailableReason,
} from "./errors.js";
export { AgentLauncher, MAX_ID_LENGTH } from "./launcher.js";
export {
  type AgentLauncherOptions,
  type CreateAgent,
  defaultLauncherOptions,
  type JoinCall,
  type ResolvedLauncherOptions,
} from "./options.js";
export type {
  LauncherEvents,
  LauncherStats,
  SessionEndedEvent,
  SessionEndReason,
  SessionInfo,
  SessionMetrics,
  SessionRejectedEvent,
  SessionStartedEvent,
} from "./types.js";
