// FakeStream: Stream Video on 127.0.0.1, one port for everything, for tests and benches without a
// Stream account. The coordinator's REST API (JWTs checked: 401 on a bad one), the SFU's
// signalling WebSocket at /ws (binary protobuf), its Twirp RPC at /twirp (JSON and protobuf), and
// a media plane forwarding RTP between participants (node-datachannel over loopback).
import { randomBytes, randomUUID } from "node:crypto";
import {
  type FakeFaults,
  type FakeHttpRequest,
  type FakeHttpResponse,
  FakeServer,
  type FakeSocket,
} from "@callwright/provider-utils/testing";
import { NodeDataChannelBackend, type RtcPeerFactory } from "@callwright/webrtc";
import { signJwt, verifyJwt } from "../coordinator/jwt.js";
import { FakeSfu } from "./fake-sfu.js";

export interface FakeStreamOptions {
  apiKey: string;
  apiSecret: string;
  /** The WebRTC stack of the fake SFU's media plane. Default node-datachannel. */
  rtc?: RtcPeerFactory;
}

export const defaultFakeStreamCredentials = {
  apiKey: "fake-key",
  apiSecret: "fake-secret-0123456789abcdef",
} as const;

/** A custom event as the fake coordinator received it. */
export interface RecordedCustomEvent {
  callType: string;
  callId: string;
  userId: string;
  custom: Record<string, unknown>;
  bytes: number;
}

interface FakeCall {
  type: string;
  id: string;
  createdById: string;
  createdAt: string;
}

export class FakeStream {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly sfu: FakeSfu;
  readonly users = new Map<string, Record<string, unknown>>();
  readonly calls = new Map<string, FakeCall>();
  readonly customEvents: RecordedCustomEvent[] = [];
  /** Every coordinator and Twirp request: `METHOD /path` and its status. */
  readonly requests: { method: string; path: string; status: number }[] = [];
  readonly #server: FakeServer;
  readonly #sfuSecret: string;
  #joinFailures: { status: number; message: string }[] = [];

  private constructor(server: FakeServer, sfu: FakeSfu, sfuSecret: string, options: FakeStreamOptions) {
    this.#server = server;
    this.sfu = sfu;
    this.#sfuSecret = sfuSecret;
    this.apiKey = options.apiKey;
    this.apiSecret = options.apiSecret;
  }

  /** Starts a FakeStream on 127.0.0.1 at a free port (one port: REST, Twirp and the signalling socket). */
  static async start(options: Partial<FakeStreamOptions> = {}): Promise<FakeStream> {
    const all: FakeStreamOptions = { ...defaultFakeStreamCredentials, ...options };
    const sfuSecret = randomBytes(16).toString("hex");
    const sfu = new FakeSfu({
      tokenSecret: sfuSecret,
      rtc: all.rtc ?? new NodeDataChannelBackend(),
      rtcConfig: { iceServers: [], bindAddress: "127.0.0.1", portRange: undefined, gatheringTimeoutMs: 2000 },
      joinRequestTimeoutMs: 5000,
    });
    let fake: FakeStream | undefined;
    const server = await FakeServer.start({
      http: (request, response) => fake!.#handle(request, response),
      websocket: (socket) => {
        const path = socket.url.pathname;
        if (path === "/ws") sfu.accept(socket);
        else if (path === "/video/connect" || path === "/api/v2/connect") fake!.#coordinatorSocket(socket);
        else socket.close(4004, "no such endpoint");
      },
      // What Stream answers when the `badKey` fault is on, or when rate limited.
      authFailure: { status: 401, body: apiError(401, 2, "api_key not found: fake badKey fault") },
      rateLimited: {
        status: 429,
        body: apiError(429, 9, "Too many requests"),
        headers: { "retry-after": "1" },
      },
    });
    fake = new FakeStream(server, sfu, sfuSecret, all);
    return fake;
  }

  /** Fault switches (bad key, 429s, a slow first byte, drops): provider-utils' fake kit. */
  get faults(): FakeFaults {
    return this.#server.faults;
  }

  /** What STREAM_BASE_URL should be. */
  get baseUrl(): string {
    return this.#server.httpUrl;
  }

  /** The environment an agent needs to use this fake. */
  get env(): Record<string, string> {
    return { STREAM_API_KEY: this.apiKey, STREAM_API_SECRET: this.apiSecret, STREAM_BASE_URL: this.baseUrl };
  }

  /** The next `count` joins fail with this HTTP status (e.g. 503), then joins work again. */
  failNextJoins(count: number, status = 503, message = "fake: service unavailable"): void {
    for (let i = 0; i < count; i++) this.#joinFailures.push({ status, message });
  }

  /** Ends a call: every participant gets `call_ended`. */
  endCall(type: string, id: string): void {
    this.sfu.endCall(`${type}:${id}`);
  }

  async close(): Promise<void> {
    this.sfu.close();
    await this.#server.close();
  }

  /**
   * The coordinator's WebSocket (Stream's JavaScript SDK opens it before joining): the first
   * message authenticates, `connection.ok` answers, health checks are echoed. Other events of the
   * real coordinator (call state, members, custom events) are not sent.
   */
  #coordinatorSocket(socket: FakeSocket): void {
    const connectionId = randomUUID();
    let authed = false;
    socket.onMessage((message) => {
      if (message.binary) return;
      let data: { type?: string; token?: string; user_details?: { id?: string; name?: string } };
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!authed) {
        const verified = verifyJwt(String(data.token ?? ""), this.apiSecret);
        const userId = verified.ok ? verified.claims.user_id : undefined;
        if (typeof userId !== "string" || socket.url.searchParams.get("api_key") !== this.apiKey) {
          socket.sendJson({
            type: "connection.error",
            connection_id: connectionId,
            error: apiError(
              401,
              43,
              verified.ok ? "api_key not found" : `JWTAuth error: token is ${verified.reason}`,
            ),
          });
          socket.close(1000, "unauthenticated");
          return;
        }
        authed = true;
        const name = data.user_details?.name ?? userId;
        if (!this.users.has(userId)) this.users.set(userId, { id: userId, name });
        socket.sendJson({
          type: "connection.ok",
          connection_id: connectionId,
          created_at: new Date().toISOString(),
          me: {
            id: userId,
            name,
            role: "user",
            custom: {},
            teams: [],
            devices: [],
            created_at: new Date().toISOString(),
            updated_at: new Date().toISOString(),
          },
        });
        return;
      }
      if (data.type === "health.check") {
        socket.sendJson({
          type: "health.check",
          connection_id: connectionId,
          created_at: new Date().toISOString(),
        });
      }
    });
  }

  async #handle(req: FakeHttpRequest, res: FakeHttpResponse): Promise<void> {
    const url = req.url;
    // Stream's JavaScript SDK calls the same API under /video/... (its default base URL ends in /video).
    if (url.pathname.startsWith("/video/")) url.pathname = `/api/v2${url.pathname}`;
    const body = req.rawBody;
    // Stream's APIs answer browsers (its JavaScript SDK calls them cross-origin).
    const cors = {
      "access-control-allow-origin": "*",
      "access-control-allow-headers": "*",
      "access-control-allow-methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS",
    };
    const reply = async (status: number, payload: unknown) => {
      this.requests.push({ method: req.method, path: url.pathname, status });
      await res.json(status, payload, cors);
    };
    if (req.method === "OPTIONS") return res.text(204, "", cors);
    if (url.pathname.startsWith("/twirp/")) {
      if (req.method !== "POST") return reply(405, { code: "bad_route", msg: "POST only" });
      const contentType = req.headers["content-type"];
      const out = await this.sfu.twirp(
        url.pathname,
        { authorization: req.headers.authorization, "content-type": contentType },
        body,
      );
      this.requests.push({ method: "POST", path: url.pathname, status: out.status });
      const writer = await res.stream(out.status, { "content-type": out.contentType, ...cors });
      writer.write(out.body);
      writer.end();
      return;
    }
    if (url.pathname === "/api/v2/video/hint") {
      // The SDK's location hint (a CDN edge in production): answered, unauthenticated.
      return res.text(200, "", { ...cors, "x-amz-cf-pop": "FAK50-P1" });
    }
    if (!url.pathname.startsWith("/api/v2/")) return reply(404, apiError(404, 4, "not found"));
    // Coordinator auth: api_key query, a JWT signed with the app's secret.
    if (url.searchParams.get("api_key") !== this.apiKey) {
      return reply(401, apiError(401, 2, `api_key not found: '${url.searchParams.get("api_key") ?? ""}'`));
    }
    const token = req.headers.authorization ?? "";
    if (req.headers["stream-auth-type"] !== "jwt") {
      return reply(401, apiError(401, 5, "stream-auth-type header must be jwt"));
    }
    const verified = verifyJwt(token, this.apiSecret);
    if (!verified.ok) {
      return reply(
        401,
        apiError(
          401,
          43,
          verified.reason === "signature"
            ? "JWTAuth error: signature is not valid. Make sure the token is created using the secret key from the dashboard"
            : `JWTAuth error: token is ${verified.reason}`,
        ),
      );
    }
    const claims = verified.claims;
    const isServer = claims.server === true;
    let input: Record<string, unknown> = {};
    try {
      input = body.length === 0 ? {} : (JSON.parse(body.toString("utf8")) as Record<string, unknown>);
    } catch {
      return reply(400, apiError(400, 4, "body is not JSON"));
    }
    const path = url.pathname;
    const method = req.method;

    if (method === "GET" && path === "/api/v2/app") {
      if (!isServer) return reply(403, apiError(403, 17, "a server token is required"));
      return reply(200, { app: { name: "fake-stream" }, duration: "0.1ms" });
    }
    if (path === "/api/v2/users" && (method === "POST" || method === "PATCH")) {
      if (!isServer) return reply(403, apiError(403, 17, "a server token is required"));
      if (method === "PATCH") {
        const updates = (input.users ?? []) as { id?: string; set?: Record<string, unknown> }[];
        for (const u of updates) {
          if (u.id === undefined || !this.users.has(u.id))
            return reply(404, apiError(404, 16, `user ${u.id} not found`));
          this.users.set(u.id, { ...this.users.get(u.id), ...u.set });
        }
        return reply(200, { users: {}, duration: "0.1ms" });
      }
      const users = (input.users ?? {}) as Record<string, Record<string, unknown>>;
      for (const [id, user] of Object.entries(users)) this.users.set(id, { ...user, id });
      return reply(201, { users, duration: "0.1ms" });
    }
    if (path === "/api/v2/video/call_client_event" && method === "POST")
      return reply(201, { duration: "0.1ms" });
    const callMatch = /^\/api\/v2\/video\/call\/([^/]+)\/([^/]+)(\/join|\/event)?$/.exec(path);
    if (callMatch !== null && method === "POST") {
      const type = decodeURIComponent(callMatch[1]!);
      const id = decodeURIComponent(callMatch[2]!);
      const cid = `${type}:${id}`;
      const action = callMatch[3];
      if (action === undefined) {
        if (!isServer) return reply(403, apiError(403, 17, "a server token is required"));
        const createdById = String(
          (input.data as { created_by_id?: unknown } | undefined)?.created_by_id ?? "",
        );
        const existing = this.calls.get(cid);
        if (existing === undefined) {
          if (createdById === "" || !this.users.has(createdById)) {
            return reply(400, apiError(400, 4, "data.created_by_id must be an existing user"));
          }
          this.calls.set(cid, { type, id, createdById, createdAt: new Date().toISOString() });
        }
        return reply(201, {
          call: callJson(this.calls.get(cid)!),
          created: existing === undefined,
          members: [],
        });
      }
      if (action === "/join") {
        const userId = claims.user_id;
        if (typeof userId !== "string" || userId === "") {
          return reply(403, apiError(403, 17, "joining needs a user token"));
        }
        const failure = this.#joinFailures.shift();
        if (failure !== undefined)
          return reply(failure.status, apiError(failure.status, -1, failure.message));
        if (!this.calls.has(cid)) {
          if (input.create !== true) return reply(404, apiError(404, 16, `call ${cid} not found`));
          this.calls.set(cid, { type, id, createdById: userId, createdAt: new Date().toISOString() });
        }
        if (!this.users.has(userId)) this.users.set(userId, { id: userId });
        const name = String(this.users.get(userId)?.name ?? userId);
        const sfuToken = signJwt({ user_id: userId, call_cid: cid, name }, this.#sfuSecret);
        const ws = `${this.#server.wsUrl}/ws`;
        return reply(200, {
          call: callJson(this.calls.get(cid)!),
          members: [],
          own_capabilities: ["send-audio", "send-video", "join-call", "read-call"],
          stats_options: { reporting_interval_ms: 0, enable_rtc_stats: false },
          created: false,
          credentials: {
            token: sfuToken,
            server: { url: `${this.baseUrl}/twirp`, ws_endpoint: ws, edge_name: "fake-stream" },
            ice_servers: [],
          },
          duration: "0.1ms",
        });
      }
      if (action === "/event") {
        const custom = (input.custom ?? {}) as Record<string, unknown>;
        const bytes = Buffer.byteLength(JSON.stringify(custom));
        if (bytes > 5 * 1024)
          return reply(413, apiError(413, 22, `custom event is ${bytes} bytes, over 5KB`));
        this.customEvents.push({
          callType: type,
          callId: id,
          userId: String(input.user_id ?? claims.user_id ?? ""),
          custom,
          bytes,
        });
        return reply(201, { duration: "0.1ms" });
      }
    }
    return reply(404, apiError(404, 4, `no route ${method} ${path}`));
  }
}

/** A CallResponse with every field Stream's JavaScript SDK reads when it joins. */
function callJson(call: FakeCall): Record<string, unknown> {
  const now = new Date().toISOString();
  const off = { enabled: false, access_request_enabled: false };
  return {
    type: call.type,
    id: call.id,
    cid: `${call.type}:${call.id}`,
    current_session_id: "",
    created_by: {
      id: call.createdById,
      role: "user",
      custom: {},
      teams: [],
      created_at: call.createdAt,
      updated_at: call.createdAt,
    },
    created_at: call.createdAt,
    updated_at: now,
    custom: {},
    backstage: false,
    blocked_user_ids: [],
    recording: false,
    transcribing: false,
    captioning: false,
    egress: { broadcasting: false, rtmps: [] },
    ingress: { rtmp: { address: "" } },
    session: {
      id: `session-${call.id}`,
      participants: [],
      participants_count_by_role: {},
      anonymous_participant_count: 0,
      accepted_by: {},
      rejected_by: {},
      missed_by: {},
    },
    settings: {
      audio: {
        access_request_enabled: false,
        opus_dtx_enabled: false,
        redundant_coding_enabled: false,
        mic_default_on: true,
        speaker_default_on: true,
        default_device: "speaker",
        noise_cancellation: { mode: "disabled" },
      },
      video: {
        ...off,
        camera_default_on: false,
        camera_facing: "front",
        target_resolution: { width: 640, height: 480, bitrate: 800_000 },
      },
      screensharing: off,
      recording: { mode: "disabled", quality: "720p", audio_only: false },
      broadcasting: { enabled: false, hls: { enabled: false, auto_on: false, quality_tracks: [] } },
      transcription: { mode: "disabled", closed_caption_mode: "disabled", language: "auto" },
      backstage: { enabled: false },
      geofencing: { names: [] },
      ring: { auto_cancel_timeout_ms: 0, incoming_call_timeout_ms: 0, missed_call_timeout_ms: 0 },
      thumbnails: { enabled: false },
      limits: {},
      session: { inactivity_timeout_seconds: 0 },
    },
  };
}

function apiError(status: number, code: number, message: string) {
  return { code, message, StatusCode: status, duration: "0.1ms" };
}
