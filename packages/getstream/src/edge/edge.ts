// `getstream.Edge`: the agent joins Stream Video calls as a participant. Credentials come from
// STREAM_API_KEY / STREAM_API_SECRET (and STREAM_BASE_URL), checked at warm-up.

import type {
  Call,
  Edge as CoreEdge,
  EdgeConnection,
  EdgeJoinOptions,
  WarmupOptions,
} from "@callwright/spec";
import { NodeDataChannelBackend, preloadOpus, type RtcPeerFactory } from "@callwright/webrtc";
import { CoordinatorClient } from "../coordinator/client.js";
import { ClosedError, ConfigError } from "../errors.js";
import { StreamEdgeConnection } from "./connection.js";
import {
  defaultStreamEdgeOptions,
  STREAM_ENV,
  type StreamEdgeOptions,
  streamOptionsFromEnv,
} from "./options.js";

export interface GetstreamEdgeOptions extends Partial<StreamEdgeOptions> {
  /** Where the options not given come from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The WebRTC stack. Default node-datachannel. */
  rtc?: RtcPeerFactory;
}

/** The user the demo link joins as (Vision Agents uses the same id). */
export const DEMO_USER = { id: "user-demo-agent", name: "Human User" } as const;

const CALL_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class Edge implements CoreEdge {
  readonly provider = "getstream";
  readonly options: StreamEdgeOptions;
  readonly #rtc: RtcPeerFactory;
  #coordinator: CoordinatorClient | undefined;
  readonly #connections = new Set<StreamEdgeConnection>();
  /** Agent user ids already upserted by this edge. */
  readonly #users = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: GetstreamEdgeOptions = {}) {
    const { env, rtc, ...explicit } = options;
    this.options = {
      ...defaultStreamEdgeOptions,
      ...streamOptionsFromEnv(env ?? process.env),
      ...definedOnly(explicit),
    };
    this.#rtc = rtc ?? new NodeDataChannelBackend();
  }

  /** Checks the credentials with Stream (a wrong key or secret fails here, naming the variable). */
  async warmup(_options: WarmupOptions = {}): Promise<void> {
    const coordinator = this.#client();
    preloadOpus();
    await Promise.all([
      coordinator.checkCredentials(),
      this.#rtc.warmup({
        iceServers: [],
        bindAddress: this.options.bindAddress,
        portRange: this.options.portRange,
        gatheringTimeoutMs: this.options.gatheringTimeoutMs,
      }),
    ]);
  }

  async createCall(type: string, id: string): Promise<Call> {
    this.#assertOpen();
    if (!CALL_ID.test(id)) {
      throw new ConfigError(
        `a Stream call id must be 1-64 characters of A-Z a-z 0-9 _ -, got '${String(id).slice(0, 40)}'`,
      );
    }
    if (!CALL_ID.test(type))
      throw new ConfigError(`a Stream call type must be 1-64 characters of A-Z a-z 0-9 _ -, got '${type}'`);
    return { type, id };
  }

  async join(call: Call, options: EdgeJoinOptions): Promise<EdgeConnection> {
    this.#assertOpen();
    options.signal.throwIfAborted();
    const coordinator = this.#client();
    const logger = options.logger.child({ component: "getstream-edge" });
    const user = options.agentUser;
    let upsert = this.#users.get(user.id);
    if (upsert === undefined) {
      upsert = coordinator.upsertUsers(
        [
          {
            id: user.id,
            name: user.name,
            role: "user",
            custom: { is_agent: true, agent_framework: "callwright" },
          },
          { id: DEMO_USER.id, name: DEMO_USER.name, role: "user" },
        ],
        options.signal,
      );
      this.#users.set(user.id, upsert);
      upsert.catch(() => this.#users.delete(user.id));
    }
    await upsert;
    await coordinator.getOrCreateCall(call.type, call.id, user.id, options.signal);
    const connection: StreamEdgeConnection = await StreamEdgeConnection.open({
      call: { type: call.type, id: call.id },
      agentUser: user,
      coordinator,
      rtc: this.#rtc,
      options: this.options,
      logger,
      signal: options.signal,
      onClosed: () => this.#connections.delete(connection),
    });
    this.#connections.add(connection);
    logger.info(
      { participants: connection.participants.size, session_id: connection.session?.sessionId },
      "agent joined the Stream call",
    );
    return connection;
  }

  /**
   * A link to Stream's demo app joining `call` as "Human User" (a token valid for an hour). Serve
   * mode has no call to link to: undefined.
   */
  demoUrl(call: Call | undefined, _baseUrl: string): string | undefined {
    if (call === undefined || this.options.apiKey === undefined || this.options.apiSecret === undefined)
      return undefined;
    const token = this.#client().tokens.user(DEMO_USER.id, { validityS: 3600 });
    const params = new URLSearchParams({
      api_key: this.options.apiKey,
      token,
      skip_lobby: "true",
      user_name: DEMO_USER.name,
      video_encoder: "h264",
      bitrate: "12000000",
      w: "1920",
      h: "1080",
      channel_type: "messaging",
    });
    return `${this.options.demoBaseUrl.replace(/\/+$/, "")}/join/${encodeURIComponent(call.id)}?${params}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#connections].map((c) => c.close()));
    this.#connections.clear();
  }

  #client(): CoordinatorClient {
    if (this.#coordinator !== undefined) return this.#coordinator;
    const { apiKey, apiSecret, baseUrl } = this.options;
    if (apiKey === undefined) {
      throw new ConfigError(
        `${STREAM_ENV.apiKey} is not set: the Stream edge needs your app's API key (from the Stream dashboard)`,
      );
    }
    if (apiSecret === undefined) {
      throw new ConfigError(
        `${STREAM_ENV.apiSecret} is not set: the Stream edge needs your app's API secret (from the Stream dashboard)`,
      );
    }
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new ConfigError(
        `invalid ${STREAM_ENV.baseUrl} '${baseUrl}': expected a URL such as https://video.stream-io-api.com`,
      );
    }
    this.#coordinator = new CoordinatorClient({
      apiKey,
      apiSecret,
      baseUrl: url.toString(),
      requestTimeoutMs: this.options.requestTimeoutMs,
      retry: this.options.requestRetry,
    });
    return this.#coordinator;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError("getstream.Edge");
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
