import { InvalidArgumentError } from "commander";
import { MAX_ID_LENGTH } from "../launcher/launcher.js";
import { LOG_LEVELS, parseLogLevel } from "../log/index.js";

/** Options of `serve`. */
export interface ServeCommandOptions {
  /** Bind address. Default "127.0.0.1". */
  host: string;
  /** Port; 0 = any free port (printed at start). Default 8000. */
  port: number;
  /** Level of the agents' logs: DEBUG, INFO, WARNING, ERROR, CRITICAL (case-insensitive). Default "INFO". */
  agentsLogLevel: string;
  /** Level of the HTTP server's logs (requests are logged one by one at DEBUG). Default "INFO". */
  httpLogLevel: string;
}

export const defaultServeCommandOptions = {
  host: "127.0.0.1",
  port: 8000,
  agentsLogLevel: "INFO",
  httpLogLevel: "INFO",
} as const satisfies ServeCommandOptions;

/** Options of `run`. */
export interface RunCommandOptions {
  /** Call type. Default "default". */
  callType: string;
  /** Call id; a random UUID when absent. */
  callId?: string;
  /** Level of the logs. Default "INFO". */
  logLevel: string;
  /** Open the demo page in a browser (when the edge has one and a display is there). Default true. */
  demo: boolean;
  /** Bind address of the server for the edge's page and signalling. Default "127.0.0.1". */
  host: string;
  /** Its port; 0 = any free port. Default 8000. */
  port: number;
}

export const defaultRunCommandOptions = {
  callType: "default",
  logLevel: "INFO",
  demo: true,
  host: "127.0.0.1",
  port: 8000,
} as const satisfies RunCommandOptions;

// Parsers for commander: a bad value throws InvalidArgumentError, which commander prints as
// one line (`error: option '--port <port>' argument 'x' is invalid. ...`) and exits 1.

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) {
    throw new InvalidArgumentError("Expected a whole number from 0 to 65535 (0 = any free port).");
  }
  return Number(value);
}

export function parseLevel(value: string): string {
  try {
    parseLogLevel(value);
  } catch {
    throw new InvalidArgumentError(`Expected one of ${LOG_LEVELS.join(", ")} (case-insensitive).`);
  }
  return value.toUpperCase();
}

export function parseHost(value: string): string {
  if (value.trim() === "" || /\s/.test(value))
    throw new InvalidArgumentError("Expected a host name or IP address.");
  return value;
}

export function parseId(value: string): string {
  if (value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(`Expected 1 to ${MAX_ID_LENGTH} characters.`);
  }
  return value;
}
