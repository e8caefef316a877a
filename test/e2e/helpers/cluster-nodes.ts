// `serve` processes on one Redis, for the multi-node tests and bench/cluster: each is a real
// process of the tiny cluster agent (or another agent file), killed only by the PID spawned here.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLUSTER_AGENT = "test/e2e/helpers/cluster-agent.ts";

export interface ServeNode {
  readonly child: ChildProcess;
  /** e.g. `http://127.0.0.1:40375` */
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code (128 + n for a signal). */
  readonly exited: Promise<number>;
  /** Sends `signal` if the process still runs. */
  kill(signal?: NodeJS.Signals): void;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export interface StartNodeOptions {
  /** Added to this process's environment (CALLWRIGHT_* ...). */
  env?: Record<string, string>;
  /** The agent file, relative to the repository root. Default the cluster agent (fake edge). */
  agentFile?: string;
  /** Extra `serve` arguments. */
  args?: readonly string[];
  /** Working directory. Default the repository root. */
  cwd?: string;
  timeoutMs?: number;
}

/** Starts `node --conditions=source --import tsx <agent> serve --port 0` and resolves once ready. */
export function startNode(options: StartNodeOptions = {}): Promise<ServeNode> {
  const child = spawn(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      options.agentFile ?? CLUSTER_AGENT,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--http-log-level",
      "WARNING",
      ...(options.args ?? []),
    ],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: "", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ""] ?? 0)));
  });
  const kill = (signal: NodeJS.Signals = "SIGKILL"): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  return new Promise<ServeNode>((resolve, reject) => {
    let url: string | undefined;
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`serve was not ready within ${options.timeoutMs ?? 20_000} ms:\n${out}`));
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      url ??= /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined && /callwright: ready/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url, pid: child.pid!, output: () => out, exited, kill });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it was ready:\n${out}`));
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

/** One HTTP request with a JSON body (when given); the answer with its body parsed when JSON. */
export async function http(method: string, url: string, body?: unknown): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON (e.g. the Prometheus text)
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}
