// Stream's coordinator, the REST API in front of calls: users, get-or-create a call, join it (which
// hands back the SFU's address and token), custom events. JSON over HTTPS, authenticated with a
// JWT in `Authorization` (no "Bearer"), `stream-auth-type: jwt` and `?api_key=`.
import { type RetryOptions, withRetry } from "@callwright/provider-utils";
import { StreamError } from "../errors.js";
import { StreamTokens } from "./jwt.js";

export interface CoordinatorOptions {
  apiKey: string;
  apiSecret: string;
  /** e.g. `https://video.stream-io-api.com`; paths start with `/api/v2`. */
  baseUrl: string;
  /** Longest wait for one REST call. */
  requestTimeoutMs: number;
  /** Retries of a call that failed in a way worth retrying (429, 5xx, no answer). Default 2 retries from 250 ms. */
  retry?: Partial<RetryOptions>;
}

export interface StreamUser {
  id: string;
  name?: string;
  image?: string;
  role?: string;
  custom?: Record<string, unknown>;
}

/** An ICE server as the browser API spells it (the coordinator's `password` is `credential`). */
export interface IceServerInit {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What `join` returns: where the SFU is and how to prove we may join it. */
export interface SfuCredentials {
  /** The SFU's JWT, for the JoinRequest and the Twirp `Authorization` header. */
  token: string;
  /** Twirp base, e.g. `https://sfu-xyz.stream-io-video.com/twirp`. */
  twirpUrl: string;
  /** The signalling WebSocket. */
  wsEndpoint: string;
  edgeName: string;
  iceServers: IceServerInit[];
}

/** Stream's 5 KB limit on a custom event's payload. */
export const MAX_CUSTOM_EVENT_BYTES = 5 * 1024;

interface ApiErrorBody {
  code?: number;
  message?: string;
  StatusCode?: number;
}

export class CoordinatorClient {
  readonly tokens: StreamTokens;
  readonly #options: CoordinatorOptions;

  constructor(options: CoordinatorOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, "") };
    this.tokens = new StreamTokens(options.apiSecret);
  }

  get apiKey(): string {
    return this.#options.apiKey;
  }

  /** Checks the key and secret with a cheap server call (GET /api/v2/app). */
  async checkCredentials(signal?: AbortSignal): Promise<void> {
    await this.#request("GET", "/api/v2/app", { token: this.tokens.server(), signal });
  }

  /** Creates or replaces users (the agent, with `custom.is_agent`; the demo page's person). */
  async upsertUsers(users: readonly StreamUser[], signal?: AbortSignal): Promise<void> {
    const body = { users: Object.fromEntries(users.map((u) => [u.id, u])) };
    await this.#request("POST", "/api/v2/users", { token: this.tokens.server(), body, signal });
  }

  /** Gets the call, creating it (created by `createdById`) when it does not exist yet. */
  async getOrCreateCall(
    type: string,
    id: string,
    createdById: string,
    signal?: AbortSignal,
  ): Promise<{ created: boolean }> {
    const out = (await this.#request("POST", callPath(type, id), {
      token: this.tokens.server(),
      body: { data: { created_by_id: createdById } },
      signal,
    })) as { created?: unknown };
    return { created: out.created === true };
  }

  /** Joins the call as `userId` (with a user token): returns the SFU to connect to. */
  async joinCall(type: string, id: string, userId: string, signal?: AbortSignal): Promise<SfuCredentials> {
    const out = (await this.#request("POST", `${callPath(type, id)}/join`, {
      token: this.tokens.user(userId),
      body: { create: true, location: "auto" },
      signal,
    })) as { credentials?: Record<string, unknown> };
    return parseCredentials(out.credentials);
  }

  /** Sends a custom event to everyone watching the call (`custom` at most 5 KB as JSON). */
  async sendCustomEvent(
    type: string,
    id: string,
    userId: string,
    custom: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#request("POST", `${callPath(type, id)}/event`, {
      token: this.tokens.server(),
      body: { user_id: userId, custom },
      signal,
    });
  }

  /** One REST call, retried (with backoff, jitter and a budget) while Stream's answer says it may help. */
  #request(
    method: "GET" | "POST" | "PATCH",
    path: string,
    options: { token: string; body?: unknown; signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    return withRetry(() => this.#attempt(method, path, options), {
      ...this.#options.retry,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  async #attempt(
    method: "GET" | "POST" | "PATCH",
    path: string,
    options: { token: string; body?: unknown; signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    const url = `${this.#options.baseUrl}${path}?api_key=${encodeURIComponent(this.#options.apiKey)}`;
    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: options.token,
          "stream-auth-type": "jwt",
          "content-type": "application/json",
          "x-stream-client": "callwright-getstream",
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const timedOut = timeout.aborted;
      throw new StreamError(
        timedOut
          ? `Stream's API did not answer ${method} ${path} within ${this.#options.requestTimeoutMs} ms (${this.#options.baseUrl})`
          : `cannot reach Stream's API at ${this.#options.baseUrl}: ${(error as Error).message} (check STREAM_BASE_URL and the network)`,
        { code: "stream_api", retryable: true, cause: error },
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length === 0 ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined) {
        throw new StreamError(`Stream's API answered ${method} ${path} with something that is not JSON`, {
          code: "stream_api",
          status: response.status,
        });
      }
      return json;
    }
    const body = (json ?? {}) as ApiErrorBody;
    const detail = body.message ?? text.slice(0, 200);
    if (response.status === 401 || response.status === 403) {
      throw new StreamError(authHint(detail, response.status), {
        code: "stream_auth",
        status: response.status,
        ...(body.code === undefined ? {} : { remoteCode: body.code }),
      });
    }
    throw new StreamError(`Stream's API refused ${method} ${path}: HTTP ${response.status}: ${detail}`, {
      code: "stream_api",
      status: response.status,
      retryable: response.status === 429 || response.status >= 500,
      ...(body.code === undefined ? {} : { remoteCode: body.code }),
    });
  }
}

/** A message that names the variable to fix. */
function authHint(detail: string, status: number): string {
  const lower = detail.toLowerCase();
  const which =
    lower.includes("api_key") || lower.includes("api key")
      ? "STREAM_API_KEY is not a key Stream knows (copy it from your app's dashboard)"
      : lower.includes("signature") || lower.includes("secret")
        ? "STREAM_API_SECRET does not match STREAM_API_KEY (copy both from the same app's dashboard)"
        : "check STREAM_API_KEY and STREAM_API_SECRET (both from the same app's dashboard)";
  return `Stream rejected the credentials (HTTP ${status}: ${detail}): ${which}`;
}

function callPath(type: string, id: string): string {
  return `/api/v2/video/call/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}

function parseCredentials(raw: Record<string, unknown> | undefined): SfuCredentials {
  const server = (raw?.server ?? {}) as Record<string, unknown>;
  const token = raw?.token;
  const twirpUrl = server.url;
  const wsEndpoint = server.ws_endpoint;
  if (typeof token !== "string" || typeof twirpUrl !== "string" || typeof wsEndpoint !== "string") {
    throw new StreamError(
      "Stream's join answer has no SFU credentials (credentials.token/server.url/ws_endpoint)",
      {
        code: "stream_api",
      },
    );
  }
  const iceServers = Array.isArray(raw?.ice_servers)
    ? (raw.ice_servers as Record<string, unknown>[]).map((s) => {
        const urls = Array.isArray(s.urls)
          ? (s.urls as string[])
          : typeof s.urls === "string"
            ? [s.urls]
            : [];
        const out: IceServerInit = { urls };
        if (typeof s.username === "string") out.username = s.username;
        if (typeof s.password === "string") out.credential = s.password;
        return out;
      })
    : [];
  return {
    token,
    twirpUrl: twirpUrl.replace(/\/+$/, ""),
    wsEndpoint,
    edgeName: typeof server.edge_name === "string" ? server.edge_name : "",
    iceServers,
  };
}

/**
 * ICE servers in libdatachannel's URL form (`turn:user:pass@host:port?transport=udp`), user and
 * password percent-encoded.
 */
export function iceServerUrls(servers: readonly IceServerInit[]): string[] {
  const out: string[] = [];
  for (const server of servers) {
    for (const url of server.urls) {
      const m = /^(stuns?|turns?):([^?]+)(\?.*)?$/.exec(url);
      if (m === null) continue;
      const [, scheme, hostPort, query = ""] = m;
      const auth =
        scheme!.startsWith("turn") && server.username !== undefined
          ? `${encodeURIComponent(server.username)}:${encodeURIComponent(server.credential ?? "")}@`
          : "";
      out.push(`${scheme}:${auth}${hostPort}${query}`);
    }
  }
  return out;
}
