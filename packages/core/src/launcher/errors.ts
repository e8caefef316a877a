import { CallwrightError } from "../errors/index.js";

/** Which limit refused a session; the HTTP server answers 429 with the matching detail. */
export type SessionLimitCode = "max_concurrent_sessions" | "max_sessions_per_call";

const limitMessages: Record<SessionLimitCode, string> = {
  max_concurrent_sessions: "Reached maximum number of concurrent sessions",
  max_sessions_per_call: "Reached maximum number of sessions for this call",
};

/** A session was refused by a limit (this node's capacity or the call's); retry later or elsewhere. */
export class SessionLimitError extends CallwrightError {
  declare readonly code: SessionLimitCode;

  constructor(code: SessionLimitCode) {
    super(limitMessages[code], { code, fault: "user", retryable: true });
    this.name = "SessionLimitError";
  }
}

/** Why the launcher takes no new session now: the HTTP server answers 503. */
export type UnavailableReason =
  | "not_started"
  | "warming_up"
  | "draining"
  | "stopped"
  | "registry_unavailable";

/** The launcher is not accepting sessions (before `start()`, during warm-up, draining, stopped). */
export class LauncherUnavailableError extends CallwrightError {
  readonly reason: UnavailableReason;

  constructor(reason: UnavailableReason, options: { cause?: unknown } = {}) {
    const what: Record<UnavailableReason, string> = {
      not_started: "the launcher is not started yet: call launcher.start() (the server does it on ready)",
      warming_up: "the launcher is still warming up its agent",
      draining: "the launcher is draining and takes no new session",
      stopped: "the launcher is stopped",
      registry_unavailable: "the session registry is unreachable",
    };
    super(`No new session: ${what[reason]}`, {
      code: "launcher_unavailable",
      fault: "system",
      retryable: true,
      cause: options.cause,
    });
    this.name = "LauncherUnavailableError";
    this.reason = reason;
  }
}

/**
 * `createAgent` threw (or returned something that is not an Agent) while starting a session.
 * The cause is kept for logs; the HTTP server answers 500 `Failed to start agent` without it.
 */
export class SessionStartError extends CallwrightError {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Failed to start agent: ${why}`, { code: "agent_start_failed", fault: "system", cause });
    this.name = "SessionStartError";
  }
}

/** The agent did not join its call within `joinTimeoutMs` of the session's start. */
export class JoinTimeoutError extends CallwrightError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      `the agent did not join its call within ${timeoutMs} ms (joinTimeoutMs): joinCall must reach agent.join`,
      { code: "join_timeout", fault: "user" },
    );
    this.name = "JoinTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** Agent code of a session threw where nothing caught it (a timer, a stray promise). */
export class AgentFaultError extends CallwrightError {
  constructor(kind: "uncaught_exception" | "unhandled_rejection", cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`agent code failed outside joinCall's promise (${kind.replace("_", " ")}): ${why}`, {
      code: "agent_fault",
      fault: "user",
      cause,
    });
    this.name = "AgentFaultError";
  }
}
