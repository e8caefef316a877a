// Spawns the default example agent (examples/local-voice/agent.ts) as a real process, for the
// CLI, environment and signal tests and the control-plane bench. Kills only what it spawned.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const AGENT_FILE = "examples/local-voice/agent.ts";

export interface AgentProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (128 + n for a signal) when the process ends. */
  readonly exited: Promise<number>;
  /** Resolves with the first stdout line matching `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends SIGKILL if still running (cleanup). */
  kill(): void;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Runs `node agent.ts <args>` from the repo root with `env` added to this process's environment
 * (`file`: another agent file, relative to the repo root).
 */
export function spawnAgent(
  args: readonly string[],
  env: Record<string, string> = {},
  file: string = AGENT_FILE,
): AgentProcess {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", file, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (const wake of [...waiters]) wake();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => {
      resolve(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0));
      for (const wake of [...waiters]) wake();
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in:\n${out}\n${err}`));
        }, timeoutMs);
        const check = (): void => {
          const match = out.match(pattern);
          if (match !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(match);
          } else if (done) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`the process exited before printing ${pattern}:\n${out}\n${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Starts `serve --port 0` and resolves once it is listening and warmed up. */
export async function startServe(
  args: readonly string[] = [],
  env: Record<string, string> = {},
  file: string = AGENT_FILE,
): Promise<AgentProcess & { url: string }> {
  const agent = spawnAgent(["serve", "--port", "0", "--agents-log-level", "WARNING", ...args], env, file);
  const [, url] = await agent.waitFor(/listening on (http:\/\/\S+)/);
  await agent.waitFor(/callwright: ready/);
  return Object.assign(agent, { url: url! });
}
