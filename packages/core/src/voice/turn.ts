import type { ChatMessage, TurnBreakdown } from "@callwright/spec";
import type { ChatHistory } from "../llm/chat-history.js";
import type { MetricsCollector } from "../metrics/collector.js";
import type { EndOfTurnDecision } from "./endpointing.js";
import type { Reply } from "./reply.js";

/** One speech segment (speech start → end, one STT flush) of a participant, in a turn. */
export interface TurnSegment {
  participantId: string;
  segmentId: number;
  text: string;
  /** The STT answered the segment's flush (or gave up on it). */
  complete: boolean;
  /** The participant is still speaking. */
  open: boolean;
  startedAtMs: number;
  lastVoicedAtMs: number | undefined;
  /** When its complete transcript arrived. */
  completedAtMs: number | undefined;
}

const joinText = (segments: readonly TurnSegment[]): string =>
  segments
    .map((s) => s.text.trim())
    .filter(Boolean)
    .join(" ");

/**
 * One user turn: the speech segments that make it (its owner's, and other participants' held
 * over from the previous turn) and when it ended. Turn-taking writes it; which reply answers it
 * is the session's to know.
 */
export class Turn {
  readonly id: number;
  readonly ownerId: string;
  /** Built from speech heard while someone else had the turn: no latency metrics. */
  readonly deferred: boolean;
  phase: "speaking" | "replying" = "speaking";
  readonly segments: TurnSegment[] = [];
  endOfTurnAtMs: number | undefined;
  /** Why the turn ended (the rule, and the turn detector's answer). */
  endOfTurn: EndOfTurnDecision | undefined = undefined;
  /** Index in the history of this turn's user message, once committed. */
  #userMessageIndex: number | undefined;
  /** Segments already in the history. */
  #committedSegments = 0;

  constructor(id: number, ownerId: string, deferred: boolean) {
    this.id = id;
    this.ownerId = ownerId;
    this.deferred = deferred;
  }

  segment(participantId: string, segmentId: number): TurnSegment | undefined {
    return this.segments.find((s) => s.participantId === participantId && s.segmentId === segmentId);
  }

  get text(): string {
    return joinText(this.segments);
  }

  get complete(): boolean {
    return this.segments.every((s) => s.complete);
  }

  get speaking(): boolean {
    return this.segments.some((s) => s.open);
  }

  get speechStartAtMs(): number | undefined {
    let at: number | undefined;
    for (const s of this.segments) if (at === undefined || s.startedAtMs < at) at = s.startedAtMs;
    return at;
  }

  get lastVoicedAtMs(): number | undefined {
    let at: number | undefined;
    for (const s of this.segments) {
      if (s.lastVoicedAtMs !== undefined && (at === undefined || s.lastVoicedAtMs > at))
        at = s.lastVoicedAtMs;
    }
    return at;
  }

  get lastTranscriptAtMs(): number | undefined {
    let at: number | undefined;
    for (const s of this.segments) {
      if (s.completedAtMs !== undefined && (at === undefined || s.completedAtMs > at)) at = s.completedAtMs;
    }
    return at;
  }

  /**
   * Puts the turn's words into the history: new messages for segments not there yet, or, when
   * the user spoke again and nothing came after their message (the merged reply said nothing),
   * that message rewritten to hold the whole turn.
   */
  commitTo(history: ChatHistory): void {
    const index = this.#userMessageIndex;
    if (index !== undefined && index === history.length - 1) {
      const messages = this.userMessages(0);
      if (messages.length === 1) {
        history.replace(index, messages[0]!);
        this.#committedSegments = this.segments.length;
        return;
      }
    }
    const added = this.userMessages(this.#committedSegments);
    if (added.length === 0) return;
    this.#userMessageIndex ??= history.length;
    history.append(...added);
    this.#committedSegments = this.segments.length;
  }

  /** User messages for segments from `from` on: one per run of the same participant. */
  userMessages(from = 0): ChatMessage[] {
    const out: ChatMessage[] = [];
    let run: TurnSegment[] = [];
    const close = () => {
      const text = joinText(run);
      if (text.length > 0) out.push({ role: "user", content: text, participantId: run[0]!.participantId });
      run = [];
    };
    for (const s of this.segments.slice(from)) {
      if (run.length > 0 && run[0]!.participantId !== s.participantId) close();
      run.push(s);
    }
    if (run.length > 0) close();
    return out;
  }
}

const round = (ms: number | undefined): number | null =>
  ms === undefined || !Number.isFinite(ms) ? null : Math.round(Math.max(0, ms) * 100) / 100;

/**
 * Where a turn's time went (docs/voice-loop.md). `frameworkMs` is our own cost: end of turn →
 * first audio, minus the LLM's share (request → first sentence handed to TTS, which includes
 * tool calls) and the TTS's (text → first audio).
 */
export function turnBreakdown(turn: Turn, reply: Reply | undefined): TurnBreakdown {
  const lastVoicedAtMs = turn.deferred ? undefined : turn.lastVoicedAtMs;
  const sinceSpeech = (at: number | undefined) =>
    at === undefined || lastVoicedAtMs === undefined ? undefined : at - lastVoicedAtMs;
  const firstAudioAtMs = reply?.firstAudioAtMs;
  let frameworkMs: number | undefined;
  if (firstAudioAtMs !== undefined && turn.endOfTurnAtMs !== undefined) {
    const llmMs =
      reply?.firstTextToTtsAtMs !== undefined && reply.startedAtMs !== undefined
        ? reply.firstTextToTtsAtMs - reply.startedAtMs
        : 0;
    frameworkMs = firstAudioAtMs - turn.endOfTurnAtMs - llmMs - (reply?.ttsStats?.firstAudioMs ?? 0);
  }
  return {
    turnId: turn.id,
    trailingSilenceMs: round(sinceSpeech(turn.endOfTurnAtMs)),
    sttMs: round(sinceSpeech(turn.lastTranscriptAtMs)),
    llmFirstTokenMs: round(reply?.llmStats?.firstTokenMs),
    ttsFirstAudioMs: round(reply?.ttsStats?.firstAudioMs),
    e2eMs: round(sinceSpeech(firstAudioAtMs)),
    frameworkMs: round(frameworkMs),
    endOfTurn:
      turn.endOfTurn === undefined
        ? null
        : {
            reason: turn.endOfTurn.reason,
            waitMs: round(turn.endOfTurn.delayMs),
            detector: turn.endOfTurn.detector ?? null,
            label: turn.endOfTurn.label ?? null,
            confidence: turn.endOfTurn.confidence ?? null,
          },
  };
}

/**
 * Feeds a finished turn into the session's metrics: every turn counts; the latencies only for
 * turns timed from the user's own speech (not speech held over from someone else's turn).
 */
export function recordTurnMetrics(metrics: MetricsCollector, turn: Turn, breakdown: TurnBreakdown): void {
  metrics.add("turns__total");
  if (turn.deferred) return;
  const start = turn.speechStartAtMs;
  const end = turn.lastVoicedAtMs;
  if (start !== undefined && end !== undefined) metrics.observe("turn_duration_ms__avg", end - start);
  if (breakdown.trailingSilenceMs !== null)
    metrics.observe("turn_trailing_silence_ms__avg", breakdown.trailingSilenceMs);
  if (breakdown.e2eMs !== null) metrics.observe("turn_e2e_latency_ms__avg", breakdown.e2eMs);
}
