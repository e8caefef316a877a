import { constants } from "node:os";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

export interface ShutdownOnSignals {
  /** Resolves with the exit code once the shutdown the first signal began has finished. */
  readonly done: Promise<number>;
  /** Removes the signal listeners. */
  dispose(): void;
}

/**
 * On the first SIGTERM or SIGINT, runs `shutdown` (exit code 0 when it resolves, 1 when it
 * throws); a second signal exits at once with 128 + its number (130 for SIGINT, 143 for SIGTERM).
 */
export function shutdownOnSignals(
  shutdown: (signal: NodeJS.Signals) => Promise<void>,
  print: (line: string) => void,
): ShutdownOnSignals {
  let received: NodeJS.Signals | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  const listener = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      print(`received ${signal} again: exiting now`);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    received = signal;
    shutdown(signal).then(
      () => resolveDone(0),
      (error: unknown) => {
        print(`error: shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        resolveDone(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, listener);
  return {
    done,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, listener);
    },
  };
}
