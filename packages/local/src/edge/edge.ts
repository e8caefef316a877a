// `local.Edge`: the agent joins calls hosted by this very server, and people join them from a
// browser (the demo page) over peer-to-peer WebRTC. No SFU, no account.
import { preloadOpus } from "@callwright/webrtc";
import type {
  Call,
  Edge as CoreEdge,
  EdgeConnection,
  EdgeHttpRoutes,
  EdgeJoinOptions,
  WarmupOptions,
} from "callwright";
import { ClosedError, ConfigError } from "callwright";
import { LocalEdgeConnection } from "./connection.js";
import { type CallHub, defaultCallHub } from "./hub.js";
import {
  defaultLocalAudioOptions,
  type LocalAudioOptions,
  validateWebRtcOptions,
  type WebRtcOptions,
} from "./options.js";
import { type LocalEdgeRoutesOptions, localEdgeRoutes } from "./routes.js";

export interface LocalEdgeOptions extends Partial<LocalAudioOptions> {
  /**
   * Where calls live. Default the process-wide hub, shared by every `local.Edge` (one per agent
   * session) and the signalling routes. Give tests their own `new CallHub()`.
   */
  hub?: CallHub;
  /**
   * Network options (ICE servers, advertised address, bind address, UDP ports). They configure
   * the hub, so they are process-wide: give every Edge the same (or use the environment).
   */
  webrtc?: Partial<WebRtcOptions>;
  /** Options of the routes (e.g. `demoPage: false` to serve signalling only). */
  routes?: LocalEdgeRoutesOptions;
}

const MAX_CALL_ID_CHARS = 256;

export class Edge implements CoreEdge {
  readonly provider = "local";
  readonly hub: CallHub;
  readonly audio: LocalAudioOptions;
  readonly #routesOptions: LocalEdgeRoutesOptions;
  readonly #connections = new Set<LocalEdgeConnection>();
  /** Calls this edge created, to drop them on close if no agent ever joined. */
  readonly #created = new Set<string>();
  #closed = false;

  constructor(options: LocalEdgeOptions = {}) {
    const { hub, webrtc, routes, ...audio } = options;
    this.hub = hub ?? defaultCallHub();
    this.audio = { ...defaultLocalAudioOptions, ...audio };
    if (this.audio.inputSampleRateHz !== 16000 && this.audio.inputSampleRateHz !== 48000) {
      throw new ConfigError(`inputSampleRateHz must be 16000 or 48000, got ${this.audio.inputSampleRateHz}`);
    }
    if (![8000, 12000, 16000, 24000, 48000].includes(this.audio.outputSampleRateHz)) {
      throw new ConfigError(
        `outputSampleRateHz must be an Opus rate (8000, 12000, 16000, 24000, 48000), got ${this.audio.outputSampleRateHz}`,
      );
    }
    if (webrtc !== undefined) this.hub.configure(validateWebRtcOptions(webrtc));
    this.#routesOptions = routes ?? {};
  }

  async warmup(_options: WarmupOptions = {}): Promise<void> {
    preloadOpus();
    await this.hub.warmup();
  }

  async createCall(type: string, id: string): Promise<Call> {
    this.#assertOpen();
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_CALL_ID_CHARS) {
      throw new ConfigError(
        `a call id must be 1 to ${MAX_CALL_ID_CHARS} characters, got '${String(id).slice(0, 40)}'`,
      );
    }
    const call = this.hub.createCall(type, id, this.audio);
    this.#created.add(id);
    return { type: call.type, id: call.id };
  }

  async join(call: Call, options: EdgeJoinOptions): Promise<EdgeConnection> {
    this.#assertOpen();
    options.signal.throwIfAborted();
    // Joining a call nobody created yet creates it (as Stream's getOrCreate does).
    const localCall = this.hub.createCall(call.type, call.id, this.audio);
    const connection = new LocalEdgeConnection(localCall, {
      agentUser: options.agentUser,
      logger: options.logger.child({ component: "local-edge" }),
      onClosed: () => this.#connections.delete(connection),
    });
    localCall.addAgent(connection);
    this.#connections.add(connection);
    connection.logger.debug({ participants: localCall.participants.size }, "agent joined the local call");
    return connection;
  }

  httpRoutes(): EdgeHttpRoutes {
    return { name: "local-edge", plugin: localEdgeRoutes(this.hub, this.#routesOptions) };
  }

  demoUrl(call: Call | undefined, baseUrl: string): string {
    const page = `${baseUrl.replace(/\/+$/, "")}/`;
    return call === undefined ? page : `${page}?call_id=${encodeURIComponent(call.id)}`;
  }

  /** Leaves every call this edge joined; drops calls it created that no agent joined. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#connections].map((c) => c.close()));
    this.#connections.clear();
    for (const id of this.#created) {
      const call = this.hub.getCall(id);
      if (call !== undefined && !call.hadAgent && call.agents.size === 0)
        call.end("no agent joined the call");
    }
    this.#created.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError("local.Edge");
  }
}
