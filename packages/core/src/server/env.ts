import { ConfigError } from "../errors/index.js";
import type { ServeOptions } from "./options.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A list, pydantic-settings style: a JSON array (`["https://a.com","https://b.com"]`) or a
 * comma-separated string (`https://a.com,https://b.com`).
 */
function list(env: Env, name: string): string[] | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  if (raw.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError(
        `invalid ${name}='${raw}': expected a JSON array of strings or a comma-separated list`,
      );
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === "string" && v.trim() !== "")) {
      throw new ConfigError(`invalid ${name}='${raw}': expected a JSON array of non-empty strings`);
    }
    return parsed.map((v: string) => v.trim());
  }
  const items = raw
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (items.length === 0) throw new ConfigError(`invalid ${name}='${raw}': expected at least one value`);
  return items;
}

const TRUE = new Set(["1", "true", "t", "yes", "y", "on"]);
const FALSE = new Set(["0", "false", "f", "no", "n", "off"]);

function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  const v = raw.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(`invalid ${name}='${raw}': expected true or false`);
}

function positiveMs(env: Env, name: string, rule = { allowZero: false }): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || (value === 0 && !rule.allowZero)) {
    throw new ConfigError(
      `invalid ${name}='${raw}': expected a whole number of milliseconds ${rule.allowZero ? ">= 0" : "> 0"}`,
    );
  }
  return value;
}

/**
 * The ServeOptions set in the environment (as the Python server's pydantic settings):
 * `CORS_ALLOW_ORIGINS`, `CORS_ALLOW_METHODS`, `CORS_ALLOW_HEADERS` (JSON arrays or
 * comma-separated lists), `CORS_ALLOW_CREDENTIALS` and `CALLWRIGHT_REQUIRE_JOIN_TOKEN`
 * (true/false, 1/0, yes/no, on/off), `CALLWRIGHT_JOIN_TOKEN_SECRET` and
 * `CALLWRIGHT_JOIN_TOKEN_TTL_MS`, `CALLWRIGHT_REQUEST_TIMEOUT_MS` and `CALLWRIGHT_HEADERS_TIMEOUT_MS`.
 * Only variables that are set appear. The Runner applies them under the options given in code.
 *
 * @throws ConfigError naming the variable when a value is malformed.
 */
export function serveOptionsFromEnv(env: Env = process.env): Partial<ServeOptions> {
  const out: Partial<ServeOptions> = {};
  const origins = list(env, "CORS_ALLOW_ORIGINS");
  if (origins !== undefined) out.corsAllowOrigins = origins;
  const methods = list(env, "CORS_ALLOW_METHODS");
  if (methods !== undefined) out.corsAllowMethods = methods;
  const headers = list(env, "CORS_ALLOW_HEADERS");
  if (headers !== undefined) out.corsAllowHeaders = headers;
  const credentials = bool(env, "CORS_ALLOW_CREDENTIALS");
  if (credentials !== undefined) out.corsAllowCredentials = credentials;
  const requireJoinToken = bool(env, "CALLWRIGHT_REQUIRE_JOIN_TOKEN");
  if (requireJoinToken !== undefined) out.requireJoinToken = requireJoinToken;
  const secret = env.CALLWRIGHT_JOIN_TOKEN_SECRET?.trim();
  if (secret !== undefined && secret !== "") {
    if (secret.length < 16) {
      throw new ConfigError("invalid CALLWRIGHT_JOIN_TOKEN_SECRET: it must be at least 16 characters");
    }
    out.joinTokenSecret = secret;
  }
  const ttlMs = positiveMs(env, "CALLWRIGHT_JOIN_TOKEN_TTL_MS");
  if (ttlMs !== undefined) out.joinTokenTtlMs = ttlMs;
  const requestTimeoutMs = positiveMs(env, "CALLWRIGHT_REQUEST_TIMEOUT_MS", { allowZero: true });
  if (requestTimeoutMs !== undefined) out.requestTimeoutMs = requestTimeoutMs;
  const headersTimeoutMs = positiveMs(env, "CALLWRIGHT_HEADERS_TIMEOUT_MS");
  if (headersTimeoutMs !== undefined) out.headersTimeoutMs = headersTimeoutMs;
  return out;
}
