// Fault containment: each session's agent code runs inside an AsyncLocalStorage scope, so an
// unhandled rejection or an uncaught exception it causes (even from a timer it set) is traced
// back to its session, which alone ends; the process and every other session go on.
// docs/security.md says why this mechanism (and not worker isolation).
import { AsyncLocalStorage } from "node:async_hooks";

export type FaultKind = "uncaught_exception" | "unhandled_rejection";

/** What the process-wide handlers need to end a session: its ids and how to end it. */
export interface SessionScope {
  readonly sessionId: string;
  readonly callId: string;
  /** Ends the session for `error` (idempotent: only the first fault ends it). */
  fail(error: unknown, kind: FaultKind): void;
}

const scopes = new AsyncLocalStorage<SessionScope>();

/** Runs `fn` in `scope`: everything it starts (promises, timers, sockets) carries the scope. */
export function runInSession<T>(scope: SessionScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** The session whose code is running now, if any. */
export function currentSession(): SessionScope | undefined {
  return scopes.getStore();
}

let holders = 0;

function onUncaught(error: unknown): void {
  const scope = scopes.getStore();
  if (scope !== undefined) {
    scope.fail(error, "uncaught_exception");
    return;
  }
  // Not a session's: do what Node does when nobody listens (unless somebody else listens).
  if (process.listenerCount("uncaughtException") > 1) return;
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}

function onRejection(reason: unknown): void {
  const scope = scopes.getStore();
  if (scope !== undefined) {
    scope.fail(reason, "unhandled_rejection");
    return;
  }
  if (process.listenerCount("unhandledRejection") > 1) return;
  process.stderr.write(
    `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
  );
  process.exit(1);
}

/**
 * Installs the process-wide handlers (once, however many launchers hold them); the returned
 * function releases this holder's claim and removes them when nobody holds them.
 */
export function holdFaultHandlers(): () => void {
  holders += 1;
  if (holders === 1) {
    process.on("uncaughtException", onUncaught);
    process.on("unhandledRejection", onRejection);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders -= 1;
    if (holders === 0) {
      process.off("uncaughtException", onUncaught);
      process.off("unhandledRejection", onRejection);
    }
  };
}
