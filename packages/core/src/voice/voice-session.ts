import type { Clock } from "@callwright/provider-utils";
import type {
  AgentState,
  AgentUiEvent,
  ChatMessage,
  EdgeConnection,
  LlmModel,
  SttModel,
  TtsModel,
  TurnBreakdown,
  VadModel,
} from "@callwright/spec";
import type { ChatHistory } from "../llm/chat-history.js";
import type { Tool } from "../llm/tool.js";
import type { ToolCallRecord } from "../llm/tool-runner.js";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import { AudioOutput } from "./audio-output.js";
import type { VoiceOptions } from "./options.js";
import { ParticipantInput } from "./participant-input.js";
import { Reply, type ReplyEvents, type ReplyOutcome, type ReplySource } from "./reply.js";
import { ReplyQueue } from "./reply-queue.js";
import { AgentStateHolder } from "./state.js";
import { recordTurnMetrics, type Turn, turnBreakdown } from "./turn.js";
import { type TranscriptEvent, type TurnDecision, TurnTaking } from "./turn-taking.js";

export type { TranscriptEvent } from "./turn-taking.js";
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
  /** Last changes to a turn's LLM request (what the agent sees: a frame, processors' notes). */
  prepareRequest?: (messages: ChatMessage[], participantId: string | undefined) => ChatMessage[];
}

/**
 * The turn loop of one call (docs/voice-loop.md): it wires each participant's input (VAD →
 * STT) to turn-taking, and acts on what turn-taking decides: it answers turns (LLM → TTS →
 * paced audio), drops an answer the user talked into (merge), stops the agent (barge-in). It
 * owns no audio math and no provider code: those live in ParticipantInput, Reply, AudioOutput
 * and Endpointing. Who has the floor is TurnTaking's to decide; this class owns the replies,
 * which reply answers which turn, the history, and everything the loop reports (transcripts,
 * turn metrics, UI events, state).
 *
 * Data kinds (Pipecat's idea, kept by construction): control (speech start/end, end of turn,
 * interrupt, close) is handled synchronously as it happens and never dropped; the media of a
 * reply (sentences, audio) lives inside its Reply and is dropped with it; records (transcripts,
 * metrics, history) are emitted in order and never dropped, even for a cancelled reply.
 */
export class VoiceSession {
  readonly history: ChatHistory;
  readonly #deps: VoiceSessionDeps;
  readonly #state: AgentStateHolder;
  readonly #output: AudioOutput;
  readonly #turns: TurnTaking;
  readonly #inputs = new Map<string, ParticipantInput>();
  readonly #replies = new ReplyQueue();
  /** Which turn each answer answers (replies to `say` and `respond` answer none). */
  readonly #answers = new Map<Reply, Turn>();
  /** Turns whose breakdown was emitted. */
  readonly #reported = new WeakSet<Turn>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #replyEvents: ReplyEvents;
  /** A barge-in is cancelling the replies: their ends must not start turns of their own. */
  #interrupting = false;
  #closed = false;

  constructor(deps: VoiceSessionDeps) {
    this.#deps = deps;
    this.history = deps.history;
    const { clock, connection, logger } = deps;
    this.#state = new AgentStateHolder((state, previous) => deps.events.onState(state, previous));
    this.#output = new AudioOutput(connection, clock);
    this.#turns = new TurnTaking({
      options: deps.options,
      clock,
      metrics: deps.metrics,
      logger,
      history: () => deps.history.messages,
      agent: {
        speaking: () => this.#replies.playing,
        replying: () => this.#replies.size > 0,
      },
      decide: (decision) => this.#act(decision),
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
    return this.#enqueueReply({ kind: "llm", messages: this.#request(participantId) });
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
    this.#replies.cancelAll("closed");
    this.#output.close();
    for (const input of this.#inputs.values()) input.close();
    this.#inputs.clear();
    this.#turns.close();
    this.#state.set("idle");
  }

  // ---- turn-taking's decisions ----

  #act(decision: TurnDecision): void {
    if (this.#closed) return;
    switch (decision.type) {
      case "user_state":
        this.#deps.events.onUserState(decision.participantId, decision.state);
        return;
      case "transcript":
        this.#record(decision.event);
        return;
      case "floor":
        this.#updateState();
        return;
      case "answer":
        this.#guard(() => this.#answer(decision.turn));
        return;
      case "merge":
        this.#guard(() => this.#dropAnswer(decision.turn));
        return;
      case "barge_in":
        this.#guard(() => this.#interruptForBargeIn());
        return;
      case "error":
        this.#error(decision.error, decision.source);
        return;
    }
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
        handler: this.#turns.inputHandler,
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
    this.#turns.participantLeft(participantId);
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

  /** The answer to a turn that ended with words: the LLM on the history as it now stands. */
  #answer(turn: Turn): void {
    turn.commitTo(this.history);
    const reply = this.#createReply({ kind: "llm", messages: this.#request(turn.ownerId) });
    this.#answers.set(reply, turn);
    this.#replies.push(reply);
  }

  #request(participantId: string | undefined): ChatMessage[] {
    const messages = this.history.forRequest();
    const prepare = this.#deps.prepareRequest;
    if (prepare === undefined) return messages;
    try {
      return prepare(messages, participantId);
    } catch (error) {
      this.#error(error instanceof Error ? error : new Error(String(error)), "loop");
      return messages;
    }
  }

  /** The user spoke again before the turn's answer played: that answer is dropped, not reported. */
  #dropAnswer(turn: Turn): void {
    for (const [reply, answered] of this.#answers) {
      if (answered !== turn) continue;
      this.#answers.delete(reply);
      reply.cancel("merged");
    }
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

  /** A barge-in stops the replies; the interrupter's turn is set up by turn-taking, not by their ends. */
  #interruptForBargeIn(): void {
    this.#interrupting = true;
    try {
      this.#cancelReplies("interrupted");
    } finally {
      this.#interrupting = false;
    }
  }

  #replyFirstAudio(reply: Reply): void {
    const turn = this.#answers.get(reply);
    if (turn !== undefined) this.#report(turn, reply);
    this.#updateState();
  }

  #replyDone(reply: Reply, outcome: ReplyOutcome): void {
    // The final transcript of what was said (nothing, for a reply cut before it spoke).
    if (outcome.text.length > 0 || reply.firstAudioAtMs !== undefined) {
      this.#agentTranscript(reply, outcome.text, true, outcome.cancelReason === "interrupted");
    }
    const turn = this.#answers.get(reply);
    this.#answers.delete(reply);
    if (turn !== undefined) this.#report(turn, reply);
    if (this.#closed || this.#interrupting) return;
    this.#replies.remove(reply);
    this.#turns.replyEnded(turn);
  }

  /** One breakdown per turn: metrics for the collector, an event for the Agent and the page. */
  #report(turn: Turn, reply: Reply): void {
    if (this.#reported.has(turn)) return;
    this.#reported.add(turn);
    const breakdown = turnBreakdown(turn, reply);
    recordTurnMetrics(this.#deps.metrics, turn, breakdown);
    this.#deps.events.onTurnMetrics(breakdown);
    this.#sendUi({ type: "turn_metrics", ...breakdown });
  }

  // ---- records ----

  #agentTranscript(reply: Reply, text: string, final: boolean, interrupted = false): void {
    const turnId = this.#answers.get(reply)?.id ?? Math.max(0, this.#turns.nextTurnId - 1);
    this.#record({
      type: "transcript",
      role: "agent",
      text,
      final,
      turnId,
      ...(interrupted ? { interrupted } : {}),
    });
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
    const turn = this.#turns.turn;
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
