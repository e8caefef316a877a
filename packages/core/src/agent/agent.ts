import { type Clock, Evented, systemClock } from "@callwright/provider-utils";
import type {
  AgentState,
  AgentUiEvent,
  Call,
  ChatMessage,
  Edge,
  EdgeConnection,
  LlmModel,
  Participant,
  Processor,
  RealtimeModel,
  SttModel,
  TtsModel,
  TurnBreakdown,
  VadModel,
} from "@callwright/spec";
import { isRealtimeModel } from "@callwright/spec";
import { ClosedError, ConfigError, StateError } from "../errors/index.js";
import { ChatHistory } from "../llm/chat-history.js";
import type { Tool } from "../llm/tool.js";
import type { ToolCallRecord } from "../llm/tool-runner.js";
import { type Logger, silentLogger } from "../log/index.js";
import { MetricsCollector } from "../metrics/index.js";
import { EnergyVad } from "../vad/energy.js";
import { defaultVisionOptions, type VisionOptions } from "../vision/options.js";
import { VisionSession } from "../vision/vision-session.js";
import { resolveVoiceOptions, type VoiceOptions, type VoiceOptionsInput } from "../voice/options.js";
import {
  defaultRealtimeLoopOptions,
  type RealtimeLoopOptions,
  RealtimeVoiceSession,
} from "../voice/realtime-session.js";
import type { ReplyOutcome } from "../voice/reply.js";
import { type ErrorSource, VoiceSession, type VoiceSessionEvents } from "../voice/voice-session.js";
import { User } from "./user.js";

export interface AgentOptions extends VoiceOptionsInput {
  /** How the agent joins calls: the local browser edge, Stream's SFU, a test fake. */
  edge: Edge;
  /** Who the agent is in the call. Default `new User({ name: "Agent", id: "agent" })`. */
  agentUser?: User;
  /** The system prompt. Default "You're a helpful voice assistant." */
  instructions?: string;
  /**
   * The chat model of the pipeline, or a speech-to-speech model (`gemini.Realtime`,
   * `openai.Realtime`): then the agent runs the realtime loop and needs no STT or TTS
   * (docs/realtime.md).
   */
  llm?: LlmModel | RealtimeModel;
  /** Options of the realtime loop, when `llm` is a realtime model (docs/realtime.md). */
  realtime?: Partial<RealtimeLoopOptions>;
  stt?: SttModel;
  tts?: TtsModel;
  /** Voice activity model. Default: the core's energy detector. */
  vad?: VadModel;
  /** Functions the LLM may call. */
  tools?: readonly Tool[];
  /**
   * What the agent runs on the call's video (and audio): detectors, trackers, describers
   * (docs/vision.md). Each gets the frames it asks for and tells the LLM what it saw.
   */
  processors?: readonly Processor[];
  /** What the agent does with video: frames for the LLM, their size and quality (docs/vision.md). */
  vision?: Partial<VisionOptions>;
  /** Where the agent logs; the launcher replaces it with a child carrying session_id and call_id. */
  logger?: Logger;
  /** The clock the voice loop and the agent's idle and call timers run on. Default the monotonic system clock. */
  clock?: Clock;
  /**
   * Close the edge and the models (LLM, STT, TTS, VAD) when the agent closes. Default true: the
   * agent owns what it is given, since `createAgent` makes them per session. Set false when you
   * share one instance between agents.
   */
  closeComponents?: boolean;
}

export type AgentEvents = {
  /** A user's (interim or final) transcript, or the agent's reply text as it is spoken. */
  transcript: [event: Extract<AgentUiEvent, { type: "transcript" }>];
  agent_state: [state: AgentState, previous: AgentState];
  user_state: [participantId: string, state: "speaking" | "silent"];
  /** One event per completed turn: where the time went. */
  metrics: [turn: TurnBreakdown];
  /** Something failed; the session goes on unless it says otherwise. */
  error: [error: Error, source: ErrorSource];
  /** A tool the LLM called ran (or was refused); `result` is what the LLM sees. */
  tool_call: [record: ToolCallRecord];
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
export class Agent extends Evented<AgentEvents> {
  readonly edge: Edge;
  readonly agentUser: User;
  readonly instructions: string;
  readonly llm: LlmModel | undefined;
  /** The speech-to-speech model, when the `llm` option was one (then `llm` is undefined). */
  readonly realtime: RealtimeModel | undefined;
  /** The realtime loop's options, defaults merged in. */
  readonly realtimeOptions: RealtimeLoopOptions;
  readonly stt: SttModel | undefined;
  readonly tts: TtsModel | undefined;
  /** The voice activity model: the given one, or the core's energy detector. */
  readonly vad: VadModel;
  readonly tools: readonly Tool[];
  readonly processors: readonly Processor[];
  readonly visionOptions: VisionOptions;
  readonly metrics = new MetricsCollector();
  /** The turn loop's options, defaults merged in. */
  readonly voiceOptions: VoiceOptions;
  readonly clock: Clock;
  readonly #history: ChatHistory;
  #voice: VoiceSession | RealtimeVoiceSession | undefined;
  #vision: VisionSession | undefined;

  #logger: Logger;
  #state: AgentState = "idle";
  #connection: EdgeConnection | undefined;
  #unsubscribe: (() => void)[] = [];
  /** Clock time the agent joined its call. */
  #joinedAtMs: number | undefined;
  /** Clock time the agent became alone in the call; undefined while not alone. */
  #aloneSinceMs: number | undefined;
  readonly #closeComponents: boolean;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The model of a fallback list that served each kind since the last turn's metrics (logged with them). */
  #servedBy: { llm_provider?: string; stt_provider?: string; tts_provider?: string } = {};
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
    this.realtime = isRealtimeModel(options.llm) ? options.llm : undefined;
    this.llm = isRealtimeModel(options.llm) ? undefined : options.llm;
    this.realtimeOptions = { ...defaultRealtimeLoopOptions, ...options.realtime };
    this.stt = options.stt;
    this.tts = options.tts;
    this.vad = options.vad ?? new EnergyVad();
    this.tools = options.tools ?? [];
    this.processors = options.processors ?? [];
    this.visionOptions = { ...defaultVisionOptions, ...options.vision };
    const names = new Set<string>();
    for (const t of this.tools) {
      if (names.has(t.name))
        throw new ConfigError(`two tools are named '${t.name}': tool names must be unique`);
      names.add(t.name);
    }
    this.voiceOptions = resolveVoiceOptions(options);
    this.clock = options.clock ?? systemClock;
    this.#closeComponents = options.closeComponents ?? true;
    this.#history = new ChatHistory(this.instructions);
    this.#logger = options.logger ?? silentLogger;
    this.#finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
    // Samples labelled with a provider come from a fallback list's member: remember which served.
    this.metrics.subscribe((sample) => {
      if (sample.provider === undefined) return;
      const kind = sample.name.slice(0, 3);
      if (kind === "llm" || kind === "stt" || kind === "tts")
        this.#servedBy[`${kind}_provider`] = sample.provider;
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

  /** The conversation so far (after the system prompt): what the LLM will see next. */
  get history(): readonly ChatMessage[] {
    return this.#history.messages;
  }

  /** The current edge connection, while in a call. */
  get connection(): EdgeConnection | undefined {
    return this.#connection;
  }

  /** Loads every component (models, edge), so the first call does not pay for it. */
  async warmup(options: { signal?: AbortSignal } = {}): Promise<void> {
    const parts = [this.edge, this.llm, this.realtime, this.stt, this.tts, this.vad, ...this.processors];
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
    if (this.#connection !== undefined) {
      throw new StateError(
        "the agent is already in a call: leave it (or close the agent) before joining another",
        {
          code: "agent_in_call",
        },
      );
    }
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
    this.#vision = new VisionSession({
      connection,
      processors: this.processors,
      options: this.visionOptions,
      metrics: this.metrics,
      logger: this.#logger,
    });
    const voice = this.#createVoice(connection);
    this.#voice = voice;
    const videoInput = this.realtime?.videoInput;
    if (videoInput !== undefined && voice instanceof RealtimeVoiceSession) {
      // A realtime model that sees gets stills of the cameras and screen shares (docs/realtime.md).
      this.#vision.streamImages(videoInput.fps, (image) => voice.pushImage(image));
    }
    this.#joinedAtMs = this.clock.now();
    this.#aloneSinceMs = connection.participants.size === 0 ? this.#joinedAtMs : undefined;
    this.#unsubscribe.push(
      connection.on("participant_joined", (p) => {
        this.#aloneSinceMs = undefined;
        this.#logger.info({ participant_id: p.id }, "participant joined");
        this.emit("participant_joined", p);
      }),
      connection.on("participant_left", (p, reason) => {
        if (connection.participants.size === 0) this.#aloneSinceMs = this.clock.now();
        this.#logger.info({ participant_id: p.id, reason }, "participant left");
        this.emit("participant_left", p);
      }),
      connection.on("closed", (reason) => {
        this.#logger.info({ reason }, "call connection closed");
        void this.#leave(reason);
      }),
    );
    connection.sendEvent({
      type: "info",
      agentName: this.agentUser.name,
      llm:
        this.realtime !== undefined
          ? `${this.realtime.provider}/${this.realtime.modelId} (realtime)`
          : this.llm === undefined
            ? "none"
            : `${this.llm.provider}/${this.llm.modelId}`,
      stt: this.stt === undefined ? "none" : `${this.stt.provider}/${this.stt.modelId}`,
      tts: this.tts === undefined ? "none" : `${this.tts.provider}/${this.tts.modelId}`,
      vad: `${this.vad.provider}/${this.vad.modelId}`,
    });
    this.#logger.info(
      // The launcher's child logger already carries call_id; don't print it twice.
      {
        call_type: call.type,
        edge: this.edge.provider,
        ...(this.#logger.bindings().call_id ? {} : { call_id: call.id }),
      },
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

  /**
   * Speaks `text` as the agent, after anything it is already saying. Interruptible like any
   * reply; recorded in the history as heard. Resolves when it has played (or was cut).
   */
  say(text: string): Promise<ReplyOutcome> {
    return this.#requireVoice("say").say(text);
  }

  /**
   * Answers `text` as if a user had said it: it goes into the history as a user message, the
   * LLM answers (with tools), and the answer is spoken. Resolves when it has played.
   */
  simpleResponse(text: string): Promise<ReplyOutcome> {
    return this.#requireVoice("simpleResponse").respond(text);
  }

  /** Stops what the agent is saying now, as if the user had barged in. */
  interrupt(): void {
    this.#voice?.interrupt();
  }

  /** Resolves (with the reason) when the agent has left its call or was closed. */
  finish(): Promise<string> {
    return this.#finished;
  }

  /** Milliseconds (on the agent's clock) it has been alone in its call; 0 while someone else is there. */
  idleForMs(): number {
    return this.#aloneSinceMs === undefined ? 0 : this.clock.now() - this.#aloneSinceMs;
  }

  /** Milliseconds (on the agent's clock) since it joined its call; 0 before. */
  onCallForMs(): number {
    return this.#joinedAtMs === undefined ? 0 : this.clock.now() - this.#joinedAtMs;
  }

  /**
   * Leaves the call and releases every resource: the edge connection, then (unless
   * `closeComponents: false`) the models and the edge. Idempotent; `finish()` resolves.
   */
  close(reason = "closed"): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#leave(reason);
      if (this.#closeComponents) await this.#closeOwned();
      this.removeAllListeners();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Closes the models and the edge; a failure is logged and does not stop the others. */
  async #closeOwned(): Promise<void> {
    const parts = [this.llm, this.realtime, this.stt, this.tts, this.vad, ...this.processors, this.edge];
    await Promise.all(
      parts.map(async (part) => {
        try {
          await part?.close?.();
        } catch (error) {
          this.#logger.warn(
            { err: error, provider: part && "provider" in part ? part.provider : (part as Processor).name },
            "closing a component of the agent failed",
          );
        }
      }),
    );
  }

  #createVoice(connection: EdgeConnection): VoiceSession | RealtimeVoiceSession {
    if (this.realtime !== undefined) {
      return new RealtimeVoiceSession({
        connection,
        model: this.realtime,
        vad: this.vad,
        vadOptions: this.voiceOptions.vad,
        tools: this.tools,
        history: this.#history,
        options: this.realtimeOptions,
        clock: this.clock,
        metrics: this.metrics,
        logger: this.#logger,
        events: this.#voiceEvents(),
      });
    }
    return new VoiceSession({
      connection,
      llm: this.llm,
      stt: this.stt,
      tts: this.tts,
      vad: this.vad,
      tools: this.tools,
      history: this.#history,
      options: this.voiceOptions,
      clock: this.clock,
      metrics: this.metrics,
      logger: this.#logger,
      prepareRequest: (messages, participantId) =>
        this.#vision === undefined ? messages : this.#vision.prepareRequest(messages, participantId),
      events: this.#voiceEvents(),
    });
  }

  #voiceEvents(): VoiceSessionEvents {
    return {
      onState: (state) => this.#setState(state),
      onUserState: (participantId, state) => {
        if (state === "speaking") this.#vision?.userSpeaking(participantId);
        this.emit("user_state", participantId, state);
      },
      onTranscript: (event) => {
        if (event.final) {
          this.#logger.debug(
            { role: event.role, participant_id: event.participantId, text: event.text },
            "transcript",
          );
        }
        this.emit("transcript", event);
      },
      onTurnMetrics: (turn) => {
        this.#logger.info({ ...turn, ...this.#servedBy }, "turn metrics");
        this.#servedBy = {};
        this.emit("metrics", turn);
      },
      onToolCall: (record) => {
        this.#logger.debug({ tool: record.name, is_error: record.isError }, "tool call");
        this.emit("tool_call", record);
      },
      onError: (error, source) => {
        this.#logger.warn({ err: error, source }, "voice loop error; the session goes on");
        this.emit("error", error, source);
      },
    };
  }

  #requireVoice(what: string): VoiceSession | RealtimeVoiceSession {
    this.#assertOpen();
    if (this.#voice === undefined) {
      throw new StateError(`agent.${what}() needs the agent in a call: await agent.join(call) first`, {
        code: "agent_not_in_call",
      });
    }
    return this.#voice;
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
      const voice = this.#voice;
      this.#voice = undefined;
      voice?.close();
      this.#vision?.close();
      this.#vision = undefined;
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
