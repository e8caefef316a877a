// Logging: pino underneath, Python-style level names on the CLI (DEBUG, INFO, WARNING, ERROR,
// CRITICAL), child loggers that carry session_id and call_id on every line of a session.
import { type Level, type Logger as PinoLogger, pino } from "pino";
import { ConfigError } from "../errors/index.js";

export type { Logger } from "@callwright/spec";

/** The level names the CLI and environment accept, case-insensitive. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const toPino: Record<LogLevelName, Level> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "fatal",
};

/** Parses `info`, `Warning`, `WARN`... into the pino level; throws a ConfigError naming `source`. */
export function parseLogLevel(value: string, source = "log level"): Level {
  const upper = value.trim().toUpperCase();
  if (upper === "WARN") return "warn";
  if (upper === "FATAL") return "fatal";
  if ((LOG_LEVELS as readonly string[]).includes(upper)) return toPino[upper as LogLevelName];
  throw new ConfigError(`invalid ${source} '${value}': expected one of ${LOG_LEVELS.join(", ")}`);
}

export interface CreateLoggerOptions {
  /** pino level name; default "info". */
  level?: Level | "silent";
  /** A name shown on every line, e.g. "agents" or "http". */
  name?: string;
}

/** A JSON logger on stdout (pretty output is left to `pino-pretty` in the user's pipe). */
export function createLogger(options: CreateLoggerOptions = {}): PinoLogger {
  return pino({
    level: options.level ?? "info",
    ...(options.name === undefined ? {} : { name: options.name }),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything; the default for components created outside a server. */
export const silentLogger: PinoLogger = pino({ level: "silent" });
