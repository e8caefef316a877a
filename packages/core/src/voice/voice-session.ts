import type { AgentState, AgentUiEvent, EdgeConnection, TurnBreakdown } from "../edge/types.js";
import type { ChatHistory } from "../llm/chat-history.js";
import type { Tool } from "../llm/tool.js";
import type { ToolCallRecord } from "../llm/tool-runner.js";
import type { LlmModel } from "../llm/types.js";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import type { SttModel } from "../stt/types.js";
import type { Clock } from "../time/clock.js";
import type { TtsModel } from "../tts/types.js";
import type { VadModel } from "../vad/types.js";
import { AudioOutput } from "./audio-output.js";
import { type EndOfTurnReason, Endpointing } from "./endpointing.js";
import type { VoiceOptions } from "./options.js";
import { ParticipantInput, type ParticipantInputHandler } from "./participant-input.js";
import { Reply, type ReplyEvents, type ReplyOutcome, type ReplySource } from "./reply.js";
import { ReplyQueue } from "./reply-queue.js";
import { TurnStateMachine } from "./state.js";
import { recordTurnMetrics, Turn, type TurnSegment, turnBreakdown } from "./turn.js";

export type TranscriptEvent = Extract<AgentUiEvent, { type: "transcript" }>;
export type ErrorSource = "llm" | "stt" | "tts" | "vad" | "loop";

/** What the session reports to its owner (the Agent turns these into its events). */
export interface VoiceSessionEvents {
  onState(state: AgentState, previous: AgentState): void;
  onUserState(participantId: string, state: "speaking" | "silent"): void;
  onTranscript(event: TranscriptEvent): void;
  onTurnMetrics(turn: TurnBreakdown): void;
  onToolCall(record: ToolCallRecord): void;
  onError(error: Error, source: ErrorSource): void;
}

export interface VoiceSessionDeps {
  connection: EdgeConnection;
  llm: LlmModel | undefined;
  stt: SttModel | undefined;
  tts: TtsModel | undefined;
  vad: VadModel;
  tools: readonly Tool[];
  history: ChatHistory;
  options: VoiceOptions;
  clock: Clock;
  metrics: MetricsCollector;
  logger: Logger;
  events: VoiceSessionEvents;
}

/**
 * Where a participant's speech segment goes, decided when it starts:
 * into the current turn; held for the next turn (someone else has the floor); a barge-in
 * candidate (the agent is speaking: it interrupts once it lasts `minInterruptionMs`); or
 * dropped (a candidate that stayed too short: a cough, an "mm-hm").
 */
type Route =
  | { kind: "turn"; turn: Turn }
  | { kind: "held"; segment: TurnSegment }
  | { kind: "candidate"; segment: TurnSegment }
  | { kind: "dropped" };

const key = (participantId: string, segmentId: number) => `${participantId}\u0000${segmentId}`;

/**
 * The turn loop of one call (design/voice-loop.md): it wires each participant's input (VAD →
 * STT) to the endpointing rule, starts replies (LLM → TTS → paced audio), and handles the user
 * speaking again while the agent thinks (merge) or speaks (barge-in). It owns no audio math
 * and no provider code: those live in ParticipantInput, Reply, AudioOutput and Endpointing.
 *
 * Data kinds (Pipecat's idea, kept by construction): control (speech start/end, end of turn,
 * interrupt, close) is handled synchronously as it happens and never dropped; the media of a
 * reply (sentences, audio) lives inside its Reply and is dropped with it; records (transcripts,
 * metrics, history) are emitted in order and never dropped, even for a cancelled reply.
 */
export class VoiceSession {
  readonly history: ChatHistory;
  readonly #deps: VoiceSessionDeps;
  readonly #state: TurnStateMachine;
  readonly #output: AudioOutput;
  readonly #endpointing: Endpointing;
  readonly #inputs = new Map<string, ParticipantInput>();
  readonly #routes = new Map<string, Route>();
  readonly #replies = new ReplyQueue();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #replyEvents: ReplyEvents;
  #turn: Turn | undefined;
  /** Speech heard while another participant had the turn, oldest first. */
  #held: TurnSegment[] = [];
  #nextTurnId = 1;
  /** A barge-in is cancelling the replies: their ends must not start turns of their own. */
  #interrupting = false;
  #closed = false;

  constructor(deps: VoiceSessionDeps) {
    this.#deps = deps;
    this.history = deps.history;
    const { clock, connection, logger } = deps;
    this.#state = new TurnStateMachine(
      (state, previous) => deps.events.onState(state, previous),
      (from, to) => logger.error({ from, to }, "voice loop made a state move its table does not allow"),
    );
    this.#output = new AudioOutput(connection, clock);
    this.#endpointing = new Endpointing({
      options: deps.options.endpointing,
      clock,
      detector: deps.options.turnDetector,
      history: () => this.history.messages,
      onEndOfTurn: (reason) => this.#guard(() => this.#endOfTurn(reason)),
      onError: (error) => this.#error(error instanceof Error ? error : new Error(String(error)), "loop"),
    });
    this.#replyEvents = {
      onFirstAudio: (reply) => this.#guard(() => this.#replyFirstAudio(reply)),
      onText: (reply, text) => this.#guard(() => this.#agentTranscript(reply, text, false)),
      onToolCall: (_reply, record) => deps.events.onToolCall(record),
      onError: (_reply, error, source) => this.#error(error, source),
      onDone: (reply, outcome) => {
        // A record: the history keeps what was said even when the session is closing.
        if (outcome.messages.length > 0) this.history.append(...outcome.messages);
        this.#guard(() => this.#replyDone(reply, outcome));
      },
    };
    this.#unsubscribe.push(
      connection.on("audio", (participantId, frame) => {
        if (this.#closed) return;
        try {
          this.#input(participantId).push(frame);
        } catch (error) {
          this.#error(error instanceof Error ? error : new Error(String(error)), "loop");
        }
      }),
      connection.on("participant_left", (participant) =>
        this.#guard(() => this.#participantLeft(participant.id)),
      ),
    );
    if (deps.stt === undefined) logger.warn("the agent has no STT: it hears speech but cannot understand it");
    this.#state.set("listening");
  }

  get state(): AgentState {
    return this.#state.state;
  }

  /** Speaks `text` as the agent (after anything already being said); interruptible; recorded. */
  say(text: string): Promise<ReplyOutcome> {
    return this.#enqueueReply({ kind: "text", text });
  }

  /** Answers `text` as if a user had said it: the LLM runs and its answer is spoken. */
  respond(text: string, participantId?: string): Promise<ReplyOutcome> {
    this.history.append({
      role: "user",
      content: text,
      ...(participantId === undefined ? {} : { participantId }),
    });
    return this.#enqueueReply({ kind: "llm", messages: this.history.forRequest() });
  }

  /** Stops whatever the agent is saying (as a barge-in would), without starting a user turn. */
  interrupt(): void {
    if (this.#closed) return;
    this.#cancelReplies("interrupted");
    this.#updateState();
  }

  /** Releases every timer, stream and listener. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe.length = 0;
    this.#endpointing.close();
    this.#replies.cancelAll("closed");
    this.#output.close();
    for (const input of this.#inputs.values()) input.close();
    this.#inputs.clear();
    this.#routes.clear();
    this.#held = [];
    this.#turn = undefined;
    this.#state.set("idle");
  }

  // ---- participants ----

  #input(participantId: string): ParticipantInput {
    let input = this.#inputs.get(participantId);
    if (input === undefined) {
      const { options, clock, metrics, logger } = this.#deps;
      input = new ParticipantInput({
        participantId,
        vad: this.#deps.vad,
        vadOptions: options.vad,
        stt: this.#deps.stt,
        sttReconnect: options.sttReconnect,
        language: options.language,
        clock,
        metrics,
        logger: logger.child({ participant_id: participantId }),
        handler: this.#inputHandler,
      });
      this.#inputs.set(participantId, input);
    }
    return input;
  }

  #participantLeft(participantId: string): void {
    const input = this.#inputs.get(participantId);
    if (input === undefined) return;
    input.close();
    this.#inputs.delete(participantId);
    // Whatever they were saying is all they will say: settle their open segments.
    const now = this.#deps.clock.now();
    const settle = (s: TurnSegment) => {
      if (s.participantId !== participantId) return;
      if (s.open) {
        s.open = false;
        s.lastVoicedAt ??= now;
      }
      if (!s.complete) {
        s.complete = true;
        s.completedAt = now;
      }
    };
    this.#held.forEach(settle);
    const turn = this.#turn;
    if (
      turn !== undefined &&
      turn.phase === "speaking" &&
      turn.segments.some((s) => s.participantId === participantId)
    ) {
      turn.segments.forEach(settle);
      this.#feedEndpointing(turn);
    }
    for (const k of [...this.#routes.keys()])
      if (k.startsWith(`${participantId}\u0000`)) this.#routes.delete(k);
    this.#settle();
  }

  readonly #inputHandler: ParticipantInputHandler = {
    onSpeechStart: (input, segmentId, startedAt) =>
      this.#guard(() => this.#speechStart(input, segmentId, startedAt)),
    onSpeechProgress: (input, segmentId, speechMs) => {
      const route = this.#routes.get(key(input.participantId, segmentId));
      if (route?.kind !== "candidate") return;
      if (speechMs >= this.#deps.options.interruption.minInterruptionMs) {
        this.#guard(() => this.#bargeIn(route.segment));
      }
    },
    onSpeechEnd: (input, segmentId, lastVoicedAt, speechMs) =>
      this.#guard(() => this.#speechEnd(input, segmentId, lastVoicedAt, speechMs)),
    onTranscript: (input, segmentId, text, complete, receivedAt) =>
      this.#guard(() => this.#transcript(input, segmentId, text, complete, receivedAt)),
    onError: (error, source) => this.#error(error, source),
  };

  // ---- control: speech and turns ----

  #speechStart(input: ParticipantInput, segmentId: number, startedAt: number): void {
    const participantId = input.participantId;
    this.#deps.events.onUserState(participantId, "speaking");
    const segment: TurnSegment = {
      participantId,
      segmentId,
      text: "",
      complete: false,
      open: true,
      startedAt,
      lastVoicedAt: undefined,
      completedAt: undefined,
    };
    const k = key(participantId, segmentId);
    const turn = this.#turn;
    const playing = this.#replies.playing;
    if (playing) {
      // The agent is speaking: this may become a barge-in, if it lasts.
      const canInterrupt = this.#deps.options.interruption.enabled;
      this.#routes.set(k, canInterrupt ? { kind: "candidate", segment } : { kind: "held", segment });
      if (!canInterrupt) this.#held.push(segment);
      return;
    }
    if (turn === undefined) {
      this.#startTurn(participantId, [segment], false);
      this.#routes.set(k, { kind: "turn", turn: this.#turn! });
      this.#endpointing.speechStarted();
      this.#updateState();
      return;
    }
    if (participantId !== turn.ownerId) {
      // Someone else has the turn; this is heard in the next one.
      this.#routes.set(k, { kind: "held", segment });
      this.#held.push(segment);
      return;
    }
    if (turn.phase === "replying") {
      // The user speaks again before the agent answered: no answer to half a question.
      this.#logger().debug({ turn_id: turn.id }, "user spoke again while the agent was thinking; merging");
      const reply = turn.reply;
      turn.reply = undefined;
      turn.phase = "speaking";
      turn.endOfTurnAt = undefined;
      reply?.cancel("merged");
      this.#endpointing.reset();
    }
    turn.segments.push(segment);
    this.#routes.set(k, { kind: "turn", turn });
    this.#endpointing.speechStarted();
    this.#updateState();
  }

  #speechEnd(input: ParticipantInput, segmentId: number, lastVoicedAt: number, speechMs: number): void {
    this.#deps.events.onUserState(input.participantId, "silent");
    const k = key(input.participantId, segmentId);
    const route = this.#routes.get(k);
    if (route === undefined) return;
    if (route.kind === "candidate") {
      // Too short to interrupt: a backchannel. Its words are not a turn.
      this.#routes.set(k, { kind: "dropped" });
      this.#logger().debug({ participant_id: input.participantId }, "short speech over the agent ignored");
      return;
    }
    if (route.kind === "held") {
      route.segment.open = false;
      route.segment.lastVoicedAt = lastVoicedAt;
      route.segment.startedAt = lastVoicedAt - speechMs;
      this.#settle();
      return;
    }
    if (route.kind === "turn") {
      const segment = route.turn.segment(input.participantId, segmentId);
      if (segment === undefined) return;
      segment.open = false;
      segment.lastVoicedAt = lastVoicedAt;
      // Dated again from the end, in audio time: exact even when audio came faster than real time.
      segment.startedAt = lastVoicedAt - speechMs;
      if (route.turn === this.#turn && route.turn.phase === "speaking") this.#feedEndpointing(route.turn);
    }
  }

  #transcript(
    input: ParticipantInput,
    segmentId: number,
    text: string,
    complete: boolean,
    receivedAt: number,
  ): void {
    const k = key(input.participantId, segmentId);
    const route = this.#routes.get(k);
    if (route === undefined || route.kind === "dropped") {
      if (complete) this.#routes.delete(k);
      return;
    }
    const segment =
      route.kind === "turn" ? route.turn.segment(input.participantId, segmentId) : route.segment;
    if (segment === undefined) return;
    segment.text = text;
    if (complete) {
      segment.complete = true;
      segment.completedAt = receivedAt;
    }
    if (route.kind === "candidate") return; // shown if it becomes a barge-in
    const turnId = route.kind === "turn" ? route.turn.id : this.#nextTurnId;
    if (text.length > 0 || complete) {
      this.#record({
        type: "transcript",
        role: "user",
        participantId: input.participantId,
        text,
        final: complete,
        turnId,
      });
    }
    if (complete) this.#routes.delete(k);
    if (route.kind === "held") {
      if (complete) this.#settle();
      return;
    }
    const turn = route.turn;
    if (turn !== this.#turn) return;
    if (turn.phase === "speaking") this.#feedEndpointing(turn);
    else if (complete) {
      this.#logger().debug(
        { turn_id: turn.id },
        "a transcript arrived after its turn ended (max delay); not answered",
      );
    }
  }

  /** Tells the endpointing rule where the turn stands. */
  #feedEndpointing(turn: Turn): void {
    if (turn.speaking) return;
    const lastVoicedAt = turn.lastVoicedAt;
    if (lastVoicedAt !== undefined) this.#endpointing.speechEnded(lastVoicedAt);
    if (!this.#endpointing.ended) this.#endpointing.transcriptUpdated(turn.text, turn.complete);
  }

  #startTurn(ownerId: string, segments: TurnSegment[], deferred: boolean): void {
    const turn = new Turn(this.#nextTurnId++, ownerId, deferred);
    turn.segments.push(...segments);
    this.#turn = turn;
    this.#endpointing.reset();
  }

  #endOfTurn(reason: EndOfTurnReason): void {
    const turn = this.#turn;
    if (turn === undefined || turn.phase !== "speaking") return;
    const now = this.#deps.clock.now();
    const text = turn.text;
    this.#logger().debug({ turn_id: turn.id, reason }, "end of turn");
    if (text.length === 0) {
      // Noise, or speech the STT could not make out: nothing to answer.
      this.#turn = undefined;
      this.#endpointing.reset();
      this.#updateState();
      this.#settle();
      return;
    }
    turn.phase = "replying";
    turn.endOfTurnAt = now;
    this.#commitUserText(turn);
    turn.reply = this.#createReply({ kind: "llm", messages: this.history.forRequest() });
    this.#replies.push(turn.reply);
    this.#updateState();
  }

  /** The turn's words go into the history (extending its message when the user spoke again). */
  #commitUserText(turn: Turn): void {
    const history = this.history;
    const index = turn.userMessageIndex;
    if (index !== undefined && index === history.length - 1) {
      // Nothing came after it (the merged reply said nothing): one message for the whole turn.
      const messages = turn.userMessages(0);
      if (messages.length === 1) {
        history.replace(index, messages[0]!);
        turn.committedSegments = turn.segments.length;
        return;
      }
    }
    const added = turn.userMessages(turn.committedSegments);
    if (added.length === 0) return;
    if (turn.userMessageIndex === undefined) turn.userMessageIndex = history.length;
    history.append(...added);
    turn.committedSegments = turn.segments.length;
  }

  #bargeIn(segment: TurnSegment): void {
    if (!this.#replies.playing) return;
    this.#deps.metrics.add("interruptions__total");
    this.#logger().debug({ participant_id: segment.participantId }, "barge-in");
    // Other would-be interrupters are heard next turn.
    for (const [k, route] of this.#routes) {
      if (route.kind === "candidate" && route.segment !== segment) {
        this.#routes.set(k, { kind: "held", segment: route.segment });
        this.#held.push(route.segment);
      }
    }
    // Stop the sound first (within this frame), then tear the replies down; the interrupter's
    // turn is set up here, not by the replies' ends.
    this.#interrupting = true;
    try {
      this.#cancelReplies("interrupted");
    } finally {
      this.#interrupting = false;
    }
    const previous = this.#turn;
    if (previous !== undefined && previous.phase === "replying") this.#turn = undefined;
    if (this.#turn === undefined) {
      this.#startTurn(segment.participantId, [segment], false);
    } else {
      this.#turn.segments.push(segment);
    }
    const turn = this.#turn!;
    this.#routes.set(key(segment.participantId, segment.segmentId), { kind: "turn", turn });
    this.#endpointing.speechStarted();
    if (segment.text.length > 0) {
      this.#record({
        type: "transcript",
        role: "user",
        participantId: segment.participantId,
        text: segment.text,
        final: segment.complete,
        turnId: turn.id,
      });
    }
    this.#updateState();
  }

  /** When nothing is going on, speech held from others becomes the next turn. */
  #settle(): void {
    if (this.#closed || this.#turn !== undefined || this.#replies.size > 0 || this.#held.length === 0) return;
    const segments = this.#held;
    this.#held = [];
    this.#startTurn(segments[0]!.participantId, segments, true);
    const turn = this.#turn!;
    for (const s of segments) {
      const k = key(s.participantId, s.segmentId);
      if (this.#routes.has(k)) this.#routes.set(k, { kind: "turn", turn });
    }
    if (turn.speaking) this.#endpointing.speechStarted();
    this.#updateState();
    this.#feedEndpointing(turn);
  }

  // ---- replies ----

  #createReply(source: ReplySource): Reply {
    const { llm, tts, tools, options, clock, metrics, logger } = this.#deps;
    return new Reply(source, {
      llm,
      tts,
      tools,
      maxToolSteps: options.maxToolSteps,
      output: this.#output,
      outputSampleRateHz: this.#deps.connection.outputSampleRateHz,
      errorReplyText: options.errorReplyText,
      meter: { metrics, clock },
      logger,
      events: this.#replyEvents,
    });
  }

  #enqueueReply(source: ReplySource): Promise<ReplyOutcome> {
    if (this.#closed) {
      return Promise.resolve({
        text: "",
        interrupted: true,
        cancelReason: "closed",
        messages: [],
        error: undefined,
      });
    }
    const reply = this.#createReply(source);
    this.#replies.push(reply);
    this.#updateState();
    return reply.done;
  }

  #cancelReplies(reason: "interrupted" | "merged"): void {
    // Stop the sound first (the edge drops what it holds), then tear the replies down.
    if (this.#replies.sentAudio) this.#output.clear();
    this.#replies.cancelAll(reason);
  }

  #replyFirstAudio(reply: Reply): void {
    const turn = this.#turn;
    if (turn !== undefined && turn.reply === reply) this.#report(turn, reply);
    this.#updateState();
  }

  #replyDone(reply: Reply, outcome: ReplyOutcome): void {
    // The final transcript of what was said (nothing, for a reply cut before it spoke).
    if (outcome.text.length > 0 || reply.firstAudioAt !== undefined) {
      this.#agentTranscript(reply, outcome.text, true);
    }
    const turn = this.#turn;
    if (turn !== undefined && turn.reply === reply) {
      if (!turn.reported && outcome.cancelReason !== "merged") this.#report(turn, reply);
      if (turn.phase === "replying") this.#turn = undefined;
    }
    if (this.#closed || this.#interrupting) return;
    this.#replies.remove(reply);
    if (!this.#replies.playing) this.#promoteCandidates();
    this.#updateState();
    this.#settle();
  }

  /**
   * The agent stopped speaking while someone was starting to talk over it (not long enough to
   * interrupt yet): that speech is no longer over the agent, so it is a turn like any other.
   */
  #promoteCandidates(): void {
    for (const [k, route] of this.#routes) {
      if (route.kind !== "candidate") continue;
      const segment = route.segment;
      if (this.#turn === undefined) {
        this.#startTurn(segment.participantId, [segment], false);
        this.#routes.set(k, { kind: "turn", turn: this.#turn! });
        if (segment.open) this.#endpointing.speechStarted();
        else this.#feedEndpointing(this.#turn!);
      } else {
        this.#routes.set(k, { kind: "held", segment });
        this.#held.push(segment);
      }
    }
  }

  /** One breakdown per turn: metrics for the collector, an event for the Agent and the page. */
  #report(turn: Turn, reply: Reply): void {
    if (turn.reported) return;
    turn.reported = true;
    const breakdown = turnBreakdown(turn, reply);
    recordTurnMetrics(this.#deps.metrics, turn, breakdown);
    this.#deps.events.onTurnMetrics(breakdown);
    this.#sendUi({ type: "turn_metrics", ...breakdown });
  }

  // ---- records ----

  #agentTranscript(reply: Reply, text: string, final: boolean): void {
    const turn = this.#turn;
    const turnId = turn !== undefined && turn.reply === reply ? turn.id : Math.max(0, this.#nextTurnId - 1);
    this.#record({ type: "transcript", role: "agent", text, final, turnId });
  }

  #record(event: TranscriptEvent): void {
    this.#deps.events.onTranscript(event);
    this.#sendUi(event);
  }

  #sendUi(event: AgentUiEvent): void {
    if (this.#closed) return;
    try {
      this.#deps.connection.sendEvent(event);
    } catch (error) {
      this.#logger().warn({ err: error }, "the edge could not relay a UI event");
    }
  }

  #error(error: Error, source: ErrorSource): void {
    if (this.#closed) return;
    this.#deps.events.onError(error, source);
    this.#sendUi({ type: "error", source, message: error.message });
  }

  #updateState(): void {
    if (this.#closed) return;
    this.#state.set(this.#deriveState());
  }

  #deriveState(): AgentState {
    if (this.#replies.playing) return "agent_speaking";
    const turn = this.#turn;
    if (turn?.phase === "speaking") return "user_speaking";
    if (turn?.phase === "replying" || this.#replies.thinking) return "thinking";
    return "listening";
  }

  /** Runs a control step; a bug in it is reported, never thrown into the edge or a timer. */
  #guard(step: () => void): void {
    if (this.#closed) return;
    try {
      step();
    } catch (error) {
      this.#error(error instanceof Error ? error : new Error(String(error)), "loop");
    }
  }

  #logger(): Logger {
    return this.#deps.logger;
  }
}
