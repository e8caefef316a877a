import { type Clock, Timer } from "@callwright/provider-utils";
import type { ChatMessage } from "@callwright/spec";

/** When a user's turn ends (docs/voice-loop.md). Both delays count from the last voiced frame. */
export interface EndpointingOptions {
  /**
   * Silence after the user's last voiced frame before the turn may end, once the STT has a
   * final transcript of the speech. With the default VAD (550 ms min silence) the speech end is
   * only known after 550 ms, so the effective silence is max(minDelayMs, VAD minSilenceMs).
   */
  minDelayMs: number;
  /** The turn ends at this much silence whatever the STT or turn detector say. */
  maxDelayMs: number;
}

export const defaultEndpointingOptions = {
  minDelayMs: 500,
  maxDelayMs: 3000,
} as const satisfies EndpointingOptions;

export interface TurnDetectorInput {
  /** The user's words so far in this turn (final transcripts). */
  transcript: string;
  /**
   * The STT itself said the user finished (Deepgram's `speech_final` / `UtteranceEnd`, any STT's
   * `speech_ended` part) since the turn's speech last ended.
   */
  sttEndOfSpeech?: boolean;
  /** The conversation before this turn. */
  history: readonly ChatMessage[];
  signal: AbortSignal;
}

/**
 * A hook that may end a turn earlier (or later) than the silence rule, e.g. a model that reads
 * the transcript and judges whether the user has finished. It answers the silence (ms after the
 * last voiced frame) to wait before ending the turn: 0 when sure, `undefined` for `minDelayMs`.
 * Answers are capped at `maxDelayMs`; the turn waits for the answer (up to `maxDelayMs`).
 */
export interface TurnDetector {
  readonly name: string;
  endOfTurnDelayMs(
    input: TurnDetectorInput,
  ): number | undefined | TurnDetectorAnswer | Promise<number | undefined | TurnDetectorAnswer>;
}

/** A detector's answer with its reasons: reported in the turn's metrics. */
export interface TurnDetectorAnswer {
  /** Silence to wait after the last voiced frame, in ms; `undefined` for `minDelayMs`. */
  delayMs: number | undefined;
  /** How sure the detector is, 0..1. */
  confidence?: number;
  /** What it decided, e.g. "complete:question" or "incomplete:trailing_word". */
  label?: string;
}

export type EndOfTurnReason = "silence" | "turn_detector" | "max_delay";

/** How a turn ended: the rule that fired and, when a detector answered, its answer. */
export interface EndOfTurnDecision {
  reason: EndOfTurnReason;
  /** The silence the turn waited for (after the last voiced frame), in ms. */
  delayMs: number | undefined;
  detector?: string;
  label?: string;
  confidence?: number;
}

export interface EndpointingDeps {
  options: EndpointingOptions;
  clock: Clock;
  detector?: TurnDetector | undefined;
  /** The history the detector sees. */
  history: () => readonly ChatMessage[];
  onEndOfTurn: (reason: EndOfTurnReason, decision: EndOfTurnDecision) => void;
  onError: (error: unknown) => void;
}

/**
 * The end-of-turn rule for one user turn, as pure logic over four inputs: speech started,
 * speech ended (with the time of the last voiced frame), transcript complete or not, and the
 * turn detector's answer. It fires `onEndOfTurn` once; `reset()` starts the next turn.
 *
 * - Nothing ends while the user is speaking.
 * - After speech ends: the turn ends at lastVoiced + minDelayMs (or the detector's delay) once
 *   the STT's final transcript covers the speech (at once if that moment is already past).
 * - Whatever happens, it ends at lastVoiced + maxDelayMs.
 */
export class Endpointing {
  readonly #deps: EndpointingDeps;
  readonly #minTimer: Timer;
  readonly #maxTimer: Timer;
  #speaking = false;
  #lastVoicedAtMs: number | undefined;
  #transcript = "";
  #transcriptComplete = false;
  #detectorDelayMs: number | undefined;
  #detectorAnswer: TurnDetectorAnswer | undefined;
  #sttEndOfSpeech = false;
  #detectorPending: AbortController | undefined;
  #fired = false;

  constructor(deps: EndpointingDeps) {
    this.#deps = deps;
    this.#minTimer = new Timer(deps.clock);
    this.#maxTimer = new Timer(deps.clock);
  }

  /** True once the turn ended (until `reset`). */
  get ended(): boolean {
    return this.#fired;
  }

  /** The user (re)started speaking: no end of turn until they stop. */
  speechStarted(): void {
    if (this.#fired) return;
    this.#speaking = true;
    this.#transcriptComplete = false;
    this.#detectorDelayMs = undefined;
    this.#detectorAnswer = undefined;
    this.#sttEndOfSpeech = false;
    this.#abortDetector();
    this.#minTimer.clear();
    this.#maxTimer.clear();
  }

  /** The user stopped speaking; `lastVoicedAtMs` is the clock time of their last voiced frame. */
  speechEnded(lastVoicedAtMs: number): void {
    if (this.#fired) return;
    this.#speaking = false;
    this.#lastVoicedAtMs = lastVoicedAtMs;
    const maxAtMs = lastVoicedAtMs + this.#deps.options.maxDelayMs;
    if (maxAtMs <= this.#deps.clock.now()) {
      this.#fire("max_delay");
      return;
    }
    this.#maxTimer.setAt(maxAtMs, () => this.#fire("max_delay"));
    this.#evaluate();
  }

  /** The turn's transcript so far; `complete` when the STT has answered every flush. */
  transcriptUpdated(transcript: string, complete: boolean): void {
    if (this.#fired) return;
    this.#transcript = transcript;
    const becameComplete = complete && !this.#transcriptComplete;
    this.#transcriptComplete = complete;
    if (becameComplete && this.#deps.detector !== undefined && !this.#speaking) this.#askDetector();
    this.#evaluate();
  }

  /**
   * The STT said the user finished speaking (a `speech_ended` part): the detector is asked
   * again with `sttEndOfSpeech` set, when the transcript is complete.
   */
  sttEndOfSpeech(): void {
    if (this.#fired || this.#sttEndOfSpeech) return;
    this.#sttEndOfSpeech = true;
    if (this.#transcriptComplete && this.#deps.detector !== undefined && !this.#speaking) {
      this.#askDetector();
      this.#evaluate();
    }
  }

  /** Forgets the turn (after it ended, or when it is abandoned). */
  reset(): void {
    this.#minTimer.clear();
    this.#maxTimer.clear();
    this.#abortDetector();
    this.#speaking = false;
    this.#lastVoicedAtMs = undefined;
    this.#transcript = "";
    this.#transcriptComplete = false;
    this.#detectorDelayMs = undefined;
    this.#detectorAnswer = undefined;
    this.#sttEndOfSpeech = false;
    this.#fired = false;
  }

  close(): void {
    this.reset();
    this.#fired = true;
  }

  #askDetector(): void {
    const detector = this.#deps.detector!;
    const controller = new AbortController();
    this.#detectorPending = controller;
    const done = (answer: number | undefined | TurnDetectorAnswer) => {
      if (this.#detectorPending !== controller) return;
      this.#detectorPending = undefined;
      const full: TurnDetectorAnswer =
        typeof answer === "object" && answer !== null ? answer : { delayMs: answer };
      this.#detectorAnswer = full;
      this.#detectorDelayMs = full.delayMs ?? this.#deps.options.minDelayMs;
      this.#evaluate();
    };
    try {
      const answer = detector.endOfTurnDelayMs({
        transcript: this.#transcript,
        sttEndOfSpeech: this.#sttEndOfSpeech,
        history: this.#deps.history(),
        signal: controller.signal,
      });
      if (answer instanceof Promise) {
        answer.then(done, (error) => {
          if (!controller.signal.aborted) this.#deps.onError(error);
          done(undefined);
        });
      } else {
        done(answer);
      }
    } catch (error) {
      this.#deps.onError(error);
      done(undefined);
    }
  }

  #abortDetector(): void {
    this.#detectorPending?.abort();
    this.#detectorPending = undefined;
  }

  #evaluate(): void {
    if (this.#fired || this.#speaking || this.#lastVoicedAtMs === undefined || !this.#transcriptComplete)
      return;
    if (this.#detectorPending !== undefined) return;
    const { minDelayMs, maxDelayMs } = this.#deps.options;
    const fromDetector = this.#deps.detector !== undefined && this.#detectorDelayMs !== undefined;
    const delayMs = Math.min(Math.max(0, this.#detectorDelayMs ?? minDelayMs), maxDelayMs);
    const reason: EndOfTurnReason = fromDetector ? "turn_detector" : "silence";
    const at = this.#lastVoicedAtMs + delayMs;
    if (at <= this.#deps.clock.now()) this.#fire(reason, delayMs);
    else this.#minTimer.setAt(at, () => this.#fire(reason, delayMs));
  }

  #fire(reason: EndOfTurnReason, delayMs?: number): void {
    if (this.#fired) return;
    this.#fired = true;
    this.#minTimer.clear();
    this.#maxTimer.clear();
    this.#abortDetector();
    const answer = this.#detectorAnswer;
    const detector = this.#deps.detector;
    const decision: EndOfTurnDecision = {
      reason,
      delayMs: reason === "max_delay" ? this.#deps.options.maxDelayMs : delayMs,
      ...(detector !== undefined && answer !== undefined
        ? {
            detector: detector.name,
            ...(answer.label !== undefined ? { label: answer.label } : {}),
            ...(answer.confidence !== undefined ? { confidence: answer.confidence } : {}),
          }
        : {}),
    };
    this.#deps.onEndOfTurn(reason, decision);
  }
}
