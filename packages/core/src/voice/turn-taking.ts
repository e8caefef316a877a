// Turn-taking: who has the floor. Each participant's speech segments go into the current turn,
// are held for the next one, or are weighed as a barge-in; the endpointing rule ends the turn.

import type { Clock } from "@callwright/provider-utils";
import type { ChatHistory } from "../llm/chat-history.js";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import { type EndOfTurnReason, Endpointing } from "./endpointing.js";
import type { VoiceOptions } from "./options.js";
import type { ParticipantInput, ParticipantInputHandler } from "./participant-input.js";
import { Turn, type TurnSegment } from "./turn.js";
import type { ErrorSource, TranscriptEvent } from "./voice-session.js";

/** What turn-taking needs from the session that owns it (the replies and what it reports). */
export interface TurnTakingHost {
  /** The session is closed: nothing starts any more. */
  closed(): boolean;
  /** The agent's audio is going out. */
  agentSpeaking(): boolean;
  /** Some reply is queued or playing. */
  replying(): boolean;
  /** A barge-in: stops the agent; the cancelled replies' ends start no turn of their own. */
  interruptReplies(): void;
  /** The turn ended with words: sets `turn.reply` to the reply answering it and queues it. */
  answer(turn: Turn): void;
  updateState(): void;
  onUserState(participantId: string, state: "speaking" | "silent"): void;
  record(event: TranscriptEvent): void;
  error(error: Error, source: ErrorSource): void;
  /** Runs a control step; a bug in it is reported, never thrown into the edge or a timer. */
  guard(step: () => void): void;
}

export interface TurnTakingDeps {
  history: ChatHistory;
  options: VoiceOptions;
  clock: Clock;
  metrics: MetricsCollector;
  logger: Logger;
  host: TurnTakingHost;
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
 * merges speech that comes while the agent thinks, barges in while it speaks, and hands a
 * finished turn to its host to answer; it never touches a reply's media.
 */
export class TurnTaking {
  readonly #deps: TurnTakingDeps;
  readonly #host: TurnTakingHost;
  readonly #endpointing: Endpointing;
  readonly #routes = new Map<string, Route>();
  #turn: Turn | undefined;
  /** Speech heard while another participant had the turn, oldest first. */
  #held: TurnSegment[] = [];
  #nextTurnId = 1;

  constructor(deps: TurnTakingDeps) {
    this.#deps = deps;
    this.#host = deps.host;
    this.#endpointing = new Endpointing({
      options: deps.options.endpointing,
      clock: deps.clock,
      detector: deps.options.turnDetector,
      history: () => deps.history.messages,
      onEndOfTurn: (reason) => this.#host.guard(() => this.#endOfTurn(reason)),
      onError: (error) => this.#host.error(error instanceof Error ? error : new Error(String(error)), "loop"),
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

  /** The reply to `turn` (the current one) is over: if the turn was waiting for it, the floor is free. */
  replyOver(turn: Turn): void {
    if (turn.phase === "replying") this.#turn = undefined;
  }

  /** Closes the endpointing timers and forgets every turn. */
  close(): void {
    this.#endpointing.close();
    this.#routes.clear();
    this.#held = [];
    this.#turn = undefined;
  }

  // ---- participants ----

  /** A participant whose input was open left the call. */
  participantLeft(participantId: string): void {
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
    this.settle();
  }

  /** Where every participant's input reports its speech and transcripts. */
  readonly inputHandler: ParticipantInputHandler = {
    onSpeechStart: (input, segmentId, startedAt) =>
      this.#host.guard(() => this.#speechStart(input, segmentId, startedAt)),
    onSpeechProgress: (input, segmentId, speechMs) => {
      const route = this.#routes.get(key(input.participantId, segmentId));
      if (route?.kind !== "candidate") return;
      if (speechMs >= this.#deps.options.interruption.minInterruptionMs) {
        this.#host.guard(() => this.#bargeIn(route.segment));
      }
    },
    onSpeechEnd: (input, segmentId, lastVoicedAt, speechMs) =>
      this.#host.guard(() => this.#speechEnd(input, segmentId, lastVoicedAt, speechMs)),
    onTranscript: (input, segmentId, text, complete, receivedAt) =>
      this.#host.guard(() => this.#transcript(input, segmentId, text, complete, receivedAt)),
    onError: (error, source) => this.#host.error(error, source),
  };

  // ---- control: speech and turns ----

  #speechStart(input: ParticipantInput, segmentId: number, startedAt: number): void {
    const participantId = input.participantId;
    this.#host.onUserState(participantId, "speaking");
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
    const playing = this.#host.agentSpeaking();
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
      this.#host.updateState();
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
    this.#host.updateState();
  }

  #speechEnd(input: ParticipantInput, segmentId: number, lastVoicedAt: number, speechMs: number): void {
    this.#host.onUserState(input.participantId, "silent");
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
      route.segment.lastVoicedAt = lastVoicedAt;
      route.segment.startedAt = lastVoicedAt - speechMs;
      this.settle();
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
      this.#host.record({
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
      if (complete) this.settle();
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
    this.#deps.logger.debug({ turn_id: turn.id, reason }, "end of turn");
    if (text.length === 0) {
      // Noise, or speech the STT could not make out: nothing to answer.
      this.#turn = undefined;
      this.#endpointing.reset();
      this.#host.updateState();
      this.settle();
      return;
    }
    turn.phase = "replying";
    turn.endOfTurnAt = now;
    this.#commitUserText(turn);
    this.#host.answer(turn);
    this.#host.updateState();
  }

  /** The turn's words go into the history (extending its message when the user spoke again). */
  #commitUserText(turn: Turn): void {
    const history = this.#deps.history;
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
    if (!this.#host.agentSpeaking()) return;
    this.#deps.metrics.add("interruptions__total");
    this.#deps.logger.debug({ participant_id: segment.participantId }, "barge-in");
    // Other would-be interrupters are heard next turn.
    for (const [k, route] of this.#routes) {
      if (route.kind === "candidate" && route.segment !== segment) {
        this.#routes.set(k, { kind: "held", segment: route.segment });
        this.#held.push(route.segment);
      }
    }
    // Stop the sound first (within this frame), then tear the replies down; the interrupter's
    // turn is set up here, not by the replies' ends.
    this.#host.interruptReplies();
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
      this.#host.record({
        type: "transcript",
        role: "user",
        participantId: segment.participantId,
        text: segment.text,
        final: segment.complete,
        turnId: turn.id,
      });
    }
    this.#host.updateState();
  }

  /** When nothing is going on, speech held from others becomes the next turn. */
  settle(): void {
    if (this.#host.closed() || this.#turn !== undefined || this.#host.replying() || this.#held.length === 0)
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
    this.#host.updateState();
    this.#feedEndpointing(turn);
  }

  /**
   * The agent stopped speaking while someone was starting to talk over it (not long enough to
   * interrupt yet): that speech is no longer over the agent, so it is a turn like any other.
   */
  promoteCandidates(): void {
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
