// Turn-taking: who has the floor. Each participant's speech segments go into the current turn,
// are held for the next one, or are weighed as a barge-in; the endpointing rule ends the turn.

import type { Clock } from "@callwright/provider-utils";
import type { AgentUiEvent, ChatMessage } from "@callwright/spec";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import { type EndOfTurnDecision, type EndOfTurnReason, Endpointing } from "./endpointing.js";
import type { VoiceOptions } from "./options.js";
import type { ParticipantInput, ParticipantInputHandler } from "./participant-input.js";
import { Turn, type TurnSegment } from "./turn.js";

/** A transcript as the loop reports it. */
export type TranscriptEvent = Extract<AgentUiEvent, { type: "transcript" }>;

/**
 * What turn-taking decided. The session that owns it acts on each, synchronously, as it is made:
 * it owns the replies (which answers which turn), the audio, the history and what is reported.
 */
export type TurnDecision =
  /** A participant's VAD says they started or stopped speaking. */
  | { type: "user_state"; participantId: string; state: "speaking" | "silent" }
  /** A user transcript to record (interim or final), with the turn it belongs to. */
  | { type: "transcript"; event: TranscriptEvent }
  /** Who has the floor changed (a turn began, ended empty, or was handed on): re-derive the state. */
  | { type: "floor" }
  /** The turn ended with words: commit them to the history and answer. */
  | { type: "answer"; turn: Turn }
  /** The turn's owner spoke again before its answer played: that answer is dropped, the turn goes on. */
  | { type: "merge"; turn: Turn }
  /** Someone talked over the agent long enough to interrupt: stop the agent now. */
  | { type: "barge_in"; participantId: string }
  | { type: "error"; error: Error; source: "stt" | "vad" | "loop" };

/** What turn-taking reads of the agent's side (it never changes it). */
export interface AgentFloor {
  /** The agent's audio is going out. */
  speaking(): boolean;
  /** Some reply is queued or playing. */
  replying(): boolean;
}

export interface TurnTakingDeps {
  options: VoiceOptions;
  clock: Clock;
  metrics: MetricsCollector;
  logger: Logger;
  /** The conversation so far, for the turn detector. */
  history: () => readonly ChatMessage[];
  agent: AgentFloor;
  /** Where decisions go, synchronously, in the order they are made. */
  decide: (decision: TurnDecision) => void;
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
 * The user side of the turn loop, fed by every participant's input: the route of each speech
 * segment, the current turn and the speech held for the next, and the endpointing rule. It
 * decides (a turn ended, a merge, a barge-in) and its owner acts: it holds no reply, sends no
 * audio and writes no history.
 */
export class TurnTaking {
  readonly #deps: TurnTakingDeps;
  readonly #endpointing: Endpointing;
  readonly #routes = new Map<string, Route>();
  #turn: Turn | undefined;
  /** Speech heard while another participant had the turn, oldest first. */
  #held: TurnSegment[] = [];
  #nextTurnId = 1;
  #closed = false;

  constructor(deps: TurnTakingDeps) {
    this.#deps = deps;
    this.#endpointing = new Endpointing({
      options: deps.options.endpointing,
      clock: deps.clock,
      detector: deps.options.turnDetector,
      history: deps.history,
      onEndOfTurn: (reason, decision) => this.#guard(() => this.#endOfTurn(reason, decision)),
      onError: (error) => this.#error(error, "loop"),
    });
  }

  /** The turn in progress: the user speaking, or waiting for its reply. */
  get turn(): Turn | undefined {
    return this.#turn;
  }

  /** The id the next turn will get. */
  get nextTurnId(): number {
    return this.#nextTurnId;
  }

  /**
   * A reply ended. `answered` is the turn it answered, if any: when that turn was waiting for
   * it, the floor is free. Speech that started over the agent's last words is no longer over the
   * agent once it is silent; speech held for later becomes the next turn when nothing else is
   * going on.
   */
  replyEnded(answered: Turn | undefined): void {
    this.#guard(() => {
      if (answered !== undefined && answered === this.#turn && answered.phase === "replying") {
        this.#turn = undefined;
      }
      if (!this.#deps.agent.speaking()) this.#promoteCandidates();
      this.#deps.decide({ type: "floor" });
      this.#settle();
    });
  }

  /** Closes the endpointing timers and forgets every turn; no decision follows. */
  close(): void {
    this.#closed = true;
    this.#endpointing.close();
    this.#routes.clear();
    this.#held = [];
    this.#turn = undefined;
  }

  // ---- participants ----

  /** A participant whose input was open left the call. */
  participantLeft(participantId: string): void {
    this.#guard(() => this.#participantLeft(participantId));
  }

  #participantLeft(participantId: string): void {
    // Whatever they were saying is all they will say: settle their open segments.
    const now = this.#deps.clock.now();
    const settle = (s: TurnSegment) => {
      if (s.participantId !== participantId) return;
      if (s.open) {
        s.open = false;
        s.lastVoicedAtMs ??= now;
      }
      if (!s.complete) {
        s.complete = true;
        s.completedAtMs = now;
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

  /** Where every participant's input reports its speech and transcripts. */
  readonly inputHandler: ParticipantInputHandler = {
    onSpeechStart: (input, segmentId, startedAtMs) =>
      this.#guard(() => this.#speechStart(input, segmentId, startedAtMs)),
    onSpeechProgress: (input, segmentId, speechMs) => {
      const route = this.#routes.get(key(input.participantId, segmentId));
      if (route?.kind !== "candidate") return;
      if (speechMs >= this.#deps.options.interruption.minInterruptionMs) {
        this.#guard(() => this.#bargeIn(route.segment));
      }
    },
    onSpeechEnd: (input, segmentId, lastVoicedAtMs, speechMs) =>
      this.#guard(() => this.#speechEnd(input, segmentId, lastVoicedAtMs, speechMs)),
    onSttEndOfSpeech: (input) =>
      this.#guard(() => {
        const turn = this.#turn;
        if (turn !== undefined && turn.phase === "speaking" && turn.ownerId === input.participantId)
          this.#endpointing.sttEndOfSpeech();
      }),
    onTranscript: (input, segmentId, text, complete, receivedAtMs) =>
      this.#guard(() => this.#transcript(input, segmentId, text, complete, receivedAtMs)),
    onError: (error, source) => this.#error(error, source),
  };

  /** Runs a step; a bug in it is reported as a decision, never thrown into the edge or a timer. */
  #guard(step: () => void): void {
    if (this.#closed) return;
    try {
      step();
    } catch (error) {
      this.#error(error, "loop");
    }
  }

  #error(error: unknown, source: "stt" | "vad" | "loop"): void {
    if (this.#closed) return;
    this.#deps.decide({
      type: "error",
      error: error instanceof Error ? error : new Error(String(error)),
      source,
    });
  }

  #record(event: TranscriptEvent): void {
    this.#deps.decide({ type: "transcript", event });
  }

  // ---- control: speech and turns ----

  #speechStart(input: ParticipantInput, segmentId: number, startedAtMs: number): void {
    const participantId = input.participantId;
    this.#deps.decide({ type: "user_state", participantId, state: "speaking" });
    const segment: TurnSegment = {
      participantId,
      segmentId,
      text: "",
      complete: false,
      open: true,
      startedAtMs,
      lastVoicedAtMs: undefined,
      completedAtMs: undefined,
    };
    const k = key(participantId, segmentId);
    const turn = this.#turn;
    const playing = this.#deps.agent.speaking();
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
      this.#deps.decide({ type: "floor" });
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
      this.#deps.logger.debug({ turn_id: turn.id }, "user spoke again while the agent was thinking; merging");
      turn.phase = "speaking";
      turn.endOfTurnAtMs = undefined;
      turn.endOfTurn = undefined;
      this.#endpointing.reset();
      this.#deps.decide({ type: "merge", turn });
    }
    turn.segments.push(segment);
    this.#routes.set(k, { kind: "turn", turn });
    this.#endpointing.speechStarted();
    this.#deps.decide({ type: "floor" });
  }

  #speechEnd(input: ParticipantInput, segmentId: number, lastVoicedAtMs: number, speechMs: number): void {
    this.#deps.decide({ type: "user_state", participantId: input.participantId, state: "silent" });
    const k = key(input.participantId, segmentId);
    const route = this.#routes.get(k);
    if (route === undefined) return;
    if (route.kind === "candidate") {
      // Too short to interrupt: a backchannel. Its words are not a turn.
      this.#routes.set(k, { kind: "dropped" });
      this.#deps.logger.debug({ participant_id: input.participantId }, "short speech over the agent ignored");
      return;
    }
    if (route.kind === "held") {
      route.segment.open = false;
      route.segment.lastVoicedAtMs = lastVoicedAtMs;
      route.segment.startedAtMs = lastVoicedAtMs - speechMs;
      this.#settle();
      return;
    }
    if (route.kind === "turn") {
      const segment = route.turn.segment(input.participantId, segmentId);
      if (segment === undefined) return;
      segment.open = false;
      segment.lastVoicedAtMs = lastVoicedAtMs;
      // Dated again from the end, in audio time: exact even when audio came faster than real time.
      segment.startedAtMs = lastVoicedAtMs - speechMs;
      if (route.turn === this.#turn && route.turn.phase === "speaking") this.#feedEndpointing(route.turn);
    }
  }

  #transcript(
    input: ParticipantInput,
    segmentId: number,
    text: string,
    complete: boolean,
    receivedAtMs: number,
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
      segment.completedAtMs = receivedAtMs;
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
      this.#deps.logger.debug(
        { turn_id: turn.id },
        "a transcript arrived after its turn ended (max delay); not answered",
      );
    }
  }

  /** Tells the endpointing rule where the turn stands. */
  #feedEndpointing(turn: Turn): void {
    if (turn.speaking) return;
    const lastVoicedAtMs = turn.lastVoicedAtMs;
    if (lastVoicedAtMs !== undefined) this.#endpointing.speechEnded(lastVoicedAtMs);
    if (!this.#endpointing.ended) this.#endpointing.transcriptUpdated(turn.text, turn.complete);
  }

  #startTurn(ownerId: string, segments: TurnSegment[], deferred: boolean): void {
    const turn = new Turn(this.#nextTurnId++, ownerId, deferred);
    turn.segments.push(...segments);
    this.#turn = turn;
    this.#endpointing.reset();
  }

  #endOfTurn(reason: EndOfTurnReason, decision: EndOfTurnDecision): void {
    const turn = this.#turn;
    if (turn === undefined || turn.phase !== "speaking") return;
    const now = this.#deps.clock.now();
    const text = turn.text;
    this.#deps.logger.debug({ turn_id: turn.id, reason }, "end of turn");
    if (text.length === 0) {
      // Noise, or speech the STT could not make out: nothing to answer.
      this.#turn = undefined;
      this.#endpointing.reset();
      this.#deps.decide({ type: "floor" });
      this.#settle();
      return;
    }
    turn.phase = "replying";
    turn.endOfTurnAtMs = now;
    turn.endOfTurn = decision;
    this.#deps.decide({ type: "answer", turn });
    this.#deps.decide({ type: "floor" });
  }

  #bargeIn(segment: TurnSegment): void {
    if (!this.#deps.agent.speaking()) return;
    this.#deps.metrics.add("interruptions__total");
    this.#deps.logger.debug({ participant_id: segment.participantId }, "barge-in");
    // Other would-be interrupters are heard next turn.
    for (const [k, route] of this.#routes) {
      if (route.kind === "candidate" && route.segment !== segment) {
        this.#routes.set(k, { kind: "held", segment: route.segment });
        this.#held.push(route.segment);
      }
    }
    // Stop the sound first (within this frame): the owner tears the replies down; the
    // interrupter's turn is set up here, not by the replies' ends.
    this.#deps.decide({ type: "barge_in", participantId: segment.participantId });
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
    this.#deps.decide({ type: "floor" });
  }

  /** When nothing is going on, speech held from others becomes the next turn. */
  #settle(): void {
    if (this.#closed || this.#turn !== undefined || this.#deps.agent.replying() || this.#held.length === 0)
      return;
    const segments = this.#held;
    this.#held = [];
    this.#startTurn(segments[0]!.participantId, segments, true);
    const turn = this.#turn!;
    for (const s of segments) {
      const k = key(s.participantId, s.segmentId);
      if (this.#routes.has(k)) this.#routes.set(k, { kind: "turn", turn });
    }
    if (turn.speaking) this.#endpointing.speechStarted();
    this.#deps.decide({ type: "floor" });
    this.#feedEndpointing(turn);
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
}
