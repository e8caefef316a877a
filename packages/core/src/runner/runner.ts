import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { Command } from "commander";
import type { FastifyInstance } from "fastify";
import type { AgentLauncher } from "../launcher/launcher.js";
import type { SessionEndedEvent } from "../launcher/types.js";
import { createLogger, LOG_LEVELS, parseLogLevel } from "../log/index.js";
import { buildServer } from "../server/build.js";
import { serveOptionsFromEnv } from "../server/env.js";
import { mintJoinToken, withJoinToken } from "../server/join-token.js";
import { resolveServeOptions, type ServeOptions } from "../server/options.js";
import { openInBrowser } from "./open-browser.js";
import {
  defaultRunCommandOptions,
  defaultServeCommandOptions,
  parseHost,
  parseId,
  parseLevel,
  parsePort,
  type RunCommandOptions,
  type ServeCommandOptions,
} from "./options.js";
import { shutdownOnSignals } from "./signals.js";

export interface RunnerOptions {
  /**
   * Permissions, CORS and `app` of the server. The `CORS_ALLOW_*` environment variables apply
   * under these (options given here win, as pydantic-settings' init arguments do).
   */
  serveOptions?: ServeOptions;
  /** The program's name in `--help`. Default the script's file name. */
  name?: string;
  /** Environment for the `CORS_ALLOW_*` variables. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The launcher, or a function that builds it when a command runs (so a ConfigError prints one line). */
export type LauncherSource = AgentLauncher | (() => AgentLauncher);

/** One line for the person at the terminal (logs are JSON on stdout; these are plain). */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function sayError(message: string): void {
  process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, " ")}\n`);
}

function errorLine(error: unknown): string {
  if (error instanceof Error) {
    const { code, address, port } = error as { code?: unknown; address?: unknown; port?: unknown };
    const where =
      address === undefined ? "" : ` on ${String(address)}${port === undefined ? "" : `:${String(port)}`}`;
    if (code === "EADDRINUSE")
      return `cannot listen${where}: the address is already in use (choose another --port)`;
    if (code === "EADDRNOTAVAIL")
      return `cannot listen${where}: no such address on this machine (check --host)`;
    if (code === "EACCES")
      return `cannot listen${where}: permission denied (ports below 1024 need privileges)`;
    if (code === "ENOTFOUND") return `cannot listen: unknown host (${error.message})`;
    return error.message;
  }
  return String(error);
}

/** The URL a browser on this machine reaches the server at. */
function baseUrlOf(app: FastifyInstance): { listening: string; browser: string } {
  const address = app.server.address();
  if (address === null || typeof address === "string") return { listening: String(address), browser: "" };
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const wildcard = address.address === "0.0.0.0" || address.address === "::";
  return {
    listening: `http://${host}:${address.port}`,
    browser: `http://${wildcard ? "127.0.0.1" : host}:${address.port}`,
  };
}

/**
 * The command line of an agent file: `serve` (the HTTP server that starts agent sessions on
 * demand) and `run` (one agent in one call, now).
 *
 * ```ts
 * new Runner(new AgentLauncher({ createAgent, joinCall })).cli();
 * ```
 */
export class Runner {
  readonly #source: LauncherSource;
  #launcher: AgentLauncher | undefined;
  readonly #serveOptions: ServeOptions;
  readonly #name: string | undefined;
  readonly #env: NodeJS.ProcessEnv;

  constructor(launcher: LauncherSource, options: RunnerOptions = {}) {
    if (typeof launcher !== "function" && (typeof launcher !== "object" || launcher === null)) {
      throw new TypeError("Runner needs an AgentLauncher (or a function that returns one)");
    }
    this.#source = launcher;
    this.#serveOptions = options.serveOptions ?? {};
    this.#name = options.name;
    this.#env = options.env ?? process.env;
  }

  /** The launcher (built on first use when a function was given). */
  get launcher(): AgentLauncher {
    this.#launcher ??= typeof this.#source === "function" ? this.#source() : this.#source;
    return this.#launcher;
  }

  /**
   * Parses `argv` (`serve` or `run` with their options), runs the command and exits the
   * process with its code: 0 after a clean shutdown, 1 on a bad option, bad environment or a
   * failed start (one line on stderr, no stack).
   */
  async cli(argv: readonly string[] = process.argv): Promise<never> {
    let code = 0;
    const program = this.#program((c) => {
      code = c;
    });
    try {
      await program.parseAsync([...argv]);
    } catch (error) {
      sayError(errorLine(error));
      code = 1;
    }
    process.exit(code);
  }

  /**
   * `serve`: listens at once (`/health` 200, `/ready` 503 until warm), warms up, then serves
   * until SIGTERM/SIGINT, which drains (sessions get `drainTimeoutMs`) and resolves with 0.
   * A second signal exits at once. Resolves with 1 when warm-up fails.
   */
  async serve(options: Partial<ServeCommandOptions> = {}): Promise<number> {
    const o = { ...defaultServeCommandOptions, ...withoutUndefined(options) };
    const agentsLevel = parseLogLevel(o.agentsLogLevel, "--agents-log-level");
    const httpLevel = parseLogLevel(o.httpLogLevel, "--http-log-level");
    const serveOptions = { ...serveOptionsFromEnv(this.#env), ...this.#serveOptions };
    const launcher = this.launcher;
    launcher.setLogger(createLogger({ level: agentsLevel, name: "agents" }));
    this.#keepRunningOnStrayRejections(launcher);

    const app = buildServer(launcher, serveOptions, {
      httpLogger: createLogger({ level: httpLevel, name: "http" }),
      awaitWarmup: false,
    });
    await app.listen({ host: o.host, port: o.port });
    const url = baseUrlOf(app);
    say(
      `callwright: listening on ${url.listening}${serveOptions.app === undefined ? ` (API docs at ${url.browser}/docs)` : ""}`,
    );

    const drainS = launcher.options.drainTimeoutMs / 1000;
    const signals = shutdownOnSignals(async (signal) => {
      say(`callwright: ${signal}: draining (sessions may run ${drainS} s more; send it again to exit now)`);
      await launcher.drain();
      await app.close();
      say("callwright: stopped");
    }, say);
    try {
      await launcher.start();
    } catch (error) {
      sayError(errorLine(error));
      signals.dispose();
      await app.close().catch(() => undefined);
      return 1;
    }
    const demo = launcher.demoUrl(undefined, url.browser);
    say(`callwright: ready${demo === undefined ? "" : `; talk to the agent at ${demo}`}`);
    const code = await signals.done;
    signals.dispose();
    return code;
  }

  /**
   * `run`: starts one session in a new call (or `callId`), prints the demo URL (and opens it
   * unless `demo` is false or the machine is headless), and resolves when the session ends:
   * 0, or 1 when `joinCall` threw. The first SIGTERM/SIGINT closes the session.
   */
  async run(options: Partial<RunCommandOptions> = {}): Promise<number> {
    const o = { ...defaultRunCommandOptions, ...withoutUndefined(options) };
    const level = parseLogLevel(o.logLevel, "--log-level");
    const serveOptions = { ...serveOptionsFromEnv(this.#env), ...this.#serveOptions };
    const launcher = this.launcher;
    launcher.setLogger(createLogger({ level, name: "agents" }));
    this.#keepRunningOnStrayRejections(launcher);

    const app = buildServer(launcher, serveOptions, {
      httpLogger: createLogger({ level: "warn", name: "http" }),
    });
    await app.listen({ host: o.host, port: o.port });
    const url = baseUrlOf(app);
    say(`callwright: listening on ${url.listening}`);

    const callId = o.callId ?? randomUUID();
    const endings = new Map<string, SessionEndedEvent>();
    let onEnded: ((event: SessionEndedEvent) => void) | undefined;
    launcher.on("session_ended", (event) => {
      endings.set(event.sessionId, event);
      onEnded?.(event);
    });
    let sessionId: string | undefined;
    const signals = shutdownOnSignals(async (signal) => {
      say(`callwright: ${signal}: closing the session (send it again to exit now)`);
      if (sessionId !== undefined) await launcher.closeSession(sessionId);
    }, say);
    try {
      const session = await launcher.startSession({ callId, callType: o.callType });
      sessionId = session.sessionId;
      say(`callwright: the agent is joining call ${o.callType}/${callId} (session ${session.sessionId})`);
      const page = launcher.demoUrl({ type: o.callType, id: callId }, url.browser);
      // A page this server serves gets a join token for the call (an outside page, none).
      const demo =
        page !== undefined && url.browser !== "" && page.startsWith(`${url.browser}/`)
          ? withJoinToken(page, runJoinToken(serveOptions, callId))
          : page;
      if (demo !== undefined) {
        const opened = o.demo && openInBrowser(demo, this.#env);
        say(`callwright: ${opened ? "opened" : "open"} ${demo}`);
      }
      const end =
        endings.get(session.sessionId) ??
        (await new Promise<SessionEndedEvent>((resolve) => {
          onEnded = (event) => {
            if (event.sessionId === session.sessionId) resolve(event);
          };
        }));
      say(`callwright: session ended (${end.reason})`);
      return end.reason === "error" ? 1 : 0;
    } finally {
      signals.dispose();
      await app.close();
    }
  }

  #program(setCode: (code: number) => void): Command {
    const levels = LOG_LEVELS.join(", ");
    const program = new Command(this.#name ?? basename(process.argv[1] ?? "agent"))
      .description(
        "A callwright voice agent: `serve` starts agents on demand over HTTP; `run` joins one call now.",
      )
      .showSuggestionAfterError(true);

    program
      .command("serve")
      .description("Start the HTTP server that starts, inspects and stops agent sessions")
      .option("--host <host>", "bind address", parseHost, defaultServeCommandOptions.host)
      .option(
        "--port <port>",
        "port (0 = any free port, printed at start)",
        parsePort,
        defaultServeCommandOptions.port,
      )
      .option(
        "--agents-log-level <level>",
        `level of the agents' logs (${levels}; case-insensitive)`,
        parseLevel,
        defaultServeCommandOptions.agentsLogLevel,
      )
      .option(
        "--http-log-level <level>",
        "level of the HTTP server's logs (each request is logged at DEBUG)",
        parseLevel,
        defaultServeCommandOptions.httpLogLevel,
      )
      .action(async (options: ServeCommandOptions) => {
        setCode(await this.serve(options));
      });

    program
      .command("run")
      .description("Run one agent in one call now, with its demo page")
      .option("--call-type <type>", "call type", parseId, defaultRunCommandOptions.callType)
      .option("--call-id <id>", "call id (random if absent)", parseId)
      .option("--log-level <level>", `level of the logs (${levels}; case-insensitive)`, parseLevel, "INFO")
      .option("--no-demo", "do not open the demo page in a browser")
      .option("--host <host>", "bind address for the edge's page and signalling", parseHost, "127.0.0.1")
      .option("--port <port>", "its port (0 = any free port)", parsePort, defaultRunCommandOptions.port)
      .action(async (options: RunCommandOptions) => {
        setCode(await this.run(options));
      });
    return program;
  }

  /** Under `serve`/`run`, a stray rejected promise is logged; it does not end every session. */
  #keepRunningOnStrayRejections(launcher: AgentLauncher): void {
    if (process.listenerCount("unhandledRejection") > 0) return;
    process.on("unhandledRejection", (reason) => {
      launcher.logger.error({ err: reason }, "unhandled promise rejection (the server keeps running)");
    });
  }
}

/** The join token `run` puts in the page URL it prints (the server's secret and TTL). */
function runJoinToken(serveOptions: ServeOptions, callId: string): string {
  const resolved = resolveServeOptions(serveOptions);
  return mintJoinToken(resolved.joinTokenSecret, callId, resolved.joinTokenTtlMs).token;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
