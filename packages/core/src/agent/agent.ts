import type {
  AgentState,
  AgentUiEvent,
  Call,
  Edge,
  EdgeConnection,
  Participant,
  TurnBreakdown,
} from "../edge/types.js";
import { ClosedError } from "../errors/index.js";
import { TypedEmitter } from "../events/index.js";
import type { Tool } from "../llm/tool.js";
import type { LlmModel } from "../llm/types.js";
import { type Logger, silentLogger } from "../log/index.js";
import { MetricsCollector } from "../metrics/index.js";
import type { SttModel } from "../stt/types.js";
import type { TtsModel } from "../tts/types.js";
import type { VadModel } from "../vad/types.js";
import { User } from "./user.js";

export interface AgentOptions {
  /** How the agent joins calls: the local browser edge, Stream's SFU, a test fake. */
  edge: Edge;
  /** Who the agent is in the call. Default `new User({ name: "Agent", id: "agent" })`. */
  agentUser?: User;
  /** The system prompt. Default "You're a helpful voice assistant." */
  instructions?: string;
  llm?: LlmModel;
  stt?: SttModel;
  tts?: TtsModel;
  /** Voice activity model. Default: the core's energy detector. */
  vad?: VadModel;
  /** Functions the LLM may call. */
  tools?: readonly Tool[];
  /** Where the agent logs; the launcher replaces it with a child carrying session_id and call_id. */
  logger?: Logger;
}

export type AgentEvents = {
  /** A user's (interim or final) transcript, or the agent's reply text as it is spoken. */
  transcript: [event: Extract<AgentUiEvent, { type: "transcript" }>];
  agent_state: [state: AgentState, previous: AgentState];
  user_state: [participantId: string, state: "speaking" | "silent"];
  /** One event per completed turn: where the time went. */
  metrics: [turn: TurnBreakdown];
  /** Something failed; the session goes on unless it says otherwise. */
  error: [error: Error];
  participant_joined: [participant: Participant];
  participant_left: [participant: Participant];
  /** The agent left the call (call ended, closed, or the edge dropped). */
  left: [reason: string];
};

/** What `agent.join(call)` returns: leaving the call when disposed. */
export interface CallSession extends AsyncDisposable {
  readonly call: Call;
  /** Leaves the call (the agent stays usable for `finish()` to resolve). */
  leave(): Promise<void>;
}

/**
 * One agent in one call: owns the edge connection and the voice pipeline. Create one per
 * session (the launcher's `createAgent` does); `close()` releases everything it holds.
 */
export class Agent extends TypedEmitter<AgentEvents> {
  readonly edge: Edge;
  readonly agentUser: User;
  readonly instructions: string;
  readonly llm: LlmModel | undefined;
  readonly stt: SttModel | undefined;
  readonly tts: TtsModel | undefined;
  readonly vad: VadModel | undefined;
  readonly tools: readonly Tool[];
  readonly metrics = new MetricsCollector();

  #logger: Logger;
  #state: AgentState = "idle";
  #connection: EdgeConnection | undefined;
  #unsubscribe: (() => void)[] = [];
  #joinedAt: number | undefined;
  /** performance.now() when the agent became alone in the call; undefined while not alone. */
  #aloneSince: number | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #finished: Promise<string>;
  #resolveFinished!: (reason: string) => void;

  constructor(options: AgentOptions) {
    super((error, event) => this.#logger.error({ err: error, event }, "agent event listener threw"));
    if (options.edge === undefined || options.edge === null) {
      throw new TypeError("Agent needs an `edge` (e.g. new local.Edge())");
    }
    this.edge = options.edge;
    this.agentUser = options.agentUser ?? new User();
    this.instructions = options.instructions ?? "You're a helpful voice assistant.";
    this.llm = options.llm;
    this.stt = options.stt;
    this.tts = options.tts;
    this.vad = options.vad;
    this.tools = options.tools ?? [];
    this.#logger = options.logger ?? silentLogger;
    this.#finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** Used by the launcher to give the agent a logger bound to its session. */
  setLogger(logger: Logger): void {
    this.#logger = logger;
  }

  get state(): AgentState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The current edge connection, while in a call. */
  get connection(): EdgeConnection | undefined {
    return this.#connection;
  }

  /** Loads every component (models, edge), so the first call does not pay for it. */
  async warmup(options: { signal?: AbortSignal } = {}): Promise<void> {
    const parts = [this.edge, this.llm, this.stt, this.tts, this.vad];
    await Promise.all(
      parts.map((part) =>
        part?.warmup?.({ logger: this.#logger, ...(options.signal ? { signal: options.signal } : {}) }),
      ),
    );
  }

  async createCall(type: string, id: string): Promise<Call> {
    this.#assertOpen();
    return this.edge.createCall(type, id);
  }

  /**
   * Joins `call`. Returns a handle that leaves the call when disposed (`await using`); or, given
   * `body`, runs it while in the call and leaves afterwards.
   */
  async join(call: Call): Promise<CallSession>;
  async join<T>(call: Call, body: (session: CallSession) => Promise<T>): Promise<T>;
  async join<T>(call: Call, body?: (session: CallSession) => Promise<T>): Promise<CallSession | T> {
    this.#assertOpen();
    if (this.#connection !== undefined) throw new Error("Agent is already in a call");
    const controller = new AbortController();
    const connection = await this.edge.join(call, {
      agentUser: this.agentUser,
      signal: controller.signal,
      logger: this.#logger,
    });
    if (this.#closed) {
      await connection.close();
      throw new ClosedError("Agent");
    }
    this.#connection = connection;
    this.#joinedAt = performance.now();
    this.#aloneSince = connection.participants.size === 0 ? this.#joinedAt : undefined;
    this.#unsubscribe.push(
      connection.on("participant_joined", (p) => {
        this.#aloneSince = undefined;
        this.#logger.info({ participant_id: p.id }, "participant joined");
        this.emit("participant_joined", p);
      }),
      connection.on("participant_left", (p, reason) => {
        if (connection.participants.size === 0) this.#aloneSince = performance.now();
        this.#logger.info({ participant_id: p.id, reason }, "participant left");
        this.emit("participant_left", p);
      }),
      connection.on("closed", (reason) => {
        this.#logger.info({ reason }, "call connection closed");
        void this.#leave(reason);
      }),
    );
    this.#setState("listening");
    this.#logger.info(
      { call_type: call.type, call_id: call.id, edge: this.edge.provider },
      "agent joined call",
    );
    const session: CallSession = {
      call,
      leave: () => this.#leave("left"),
      [Symbol.asyncDispose]: () => this.#leave("left"),
    };
    if (body === undefined) return session;
    try {
      return await body(session);
    } finally {
      await this.#leave("left");
    }
  }

  /** Resolves (with the reason) when the agent has left its call or was closed. */
  finish(): Promise<string> {
    return this.#finished;
  }

  /** Milliseconds the agent has been alone in its call; 0 while someone else is there. */
  idleForMs(): number {
    return this.#aloneSince === undefined ? 0 : performance.now() - this.#aloneSince;
  }

  /** Milliseconds since the agent joined its call; 0 before. */
  onCallForMs(): number {
    return this.#joinedAt === undefined ? 0 : performance.now() - this.#joinedAt;
  }

  /** Leaves the call and releases every resource. Idempotent; `finish()` resolves. */
  close(reason = "closed"): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#leave(reason);
      this.removeAllListeners();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #setState(state: AgentState): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.emit("agent_state", state, previous);
    this.#connection?.sendEvent({ type: "agent_state", state });
  }

  async #leave(reason: string): Promise<void> {
    const connection = this.#connection;
    if (connection !== undefined) {
      this.#connection = undefined;
      for (const off of this.#unsubscribe) off();
      this.#unsubscribe = [];
      try {
        await connection.close();
      } catch (error) {
        this.#logger.warn({ err: error }, "closing the edge connection failed");
      }
      this.#setState("idle");
      this.emit("left", reason);
    }
    this.#resolveFinished(reason);
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError("Agent");
  }
}
