import { ConfigError } from "../errors/index.js";
import { defaultLlmLoopOptions } from "../llm/tool-runner.js";
import { defaultEndpointingOptions, type EndpointingOptions, type TurnDetector } from "./endpointing.js";
import { defaultSttReconnectOptions, type SttReconnectOptions } from "./participant-input.js";
import { defaultVadOptions, type VadOptions } from "./vad-detector.js";

/** When the user may cut the agent off (barge-in). */
export interface InterruptionOptions {
  /** False: the agent always finishes what it says; user speech waits for the next turn. */
  enabled: boolean;
  /** User speech shorter than this while the agent speaks ("mm-hm", a cough) does not interrupt. */
  minInterruptionMs: number;
}

export const defaultInterruptionOptions = {
  enabled: true,
  minInterruptionMs: 300,
} as const satisfies InterruptionOptions;

export const defaultErrorReplyText = "Sorry, something went wrong on my side. Could you say that again?";

/** Everything that shapes the turn loop; each part has its own defaults. */
export interface VoiceOptions {
  endpointing: EndpointingOptions;
  interruption: InterruptionOptions;
  vad: VadOptions;
  /** Rounds of tool calls per reply before the model must answer without tools. */
  maxToolSteps: number;
  /** What the agent says when the LLM fails mid-reply ("" to stay silent). */
  errorReplyText: string;
  /** Ends turns earlier (or later) than the silence rule; default none (`rulesTurnDetector()` ships). */
  turnDetector: TurnDetector | undefined;
  sttReconnect: SttReconnectOptions;
  /** BCP-47 language passed to the STT, e.g. "en-US"; default the provider's. */
  language: string | undefined;
}

export const defaultVoiceOptions: VoiceOptions = {
  endpointing: defaultEndpointingOptions,
  interruption: defaultInterruptionOptions,
  vad: defaultVadOptions,
  maxToolSteps: defaultLlmLoopOptions.maxToolSteps,
  errorReplyText: defaultErrorReplyText,
  turnDetector: undefined,
  sttReconnect: defaultSttReconnectOptions,
  language: undefined,
};

/** What `new Agent({...})` accepts for the loop: any part, any field, merged over the defaults. */
export interface VoiceOptionsInput {
  /** When a turn ends: `{ minDelayMs: 500, maxDelayMs: 3000 }` after the last voiced frame. */
  endpointing?: Partial<EndpointingOptions>;
  /** Barge-in: `{ enabled: true, minInterruptionMs: 300 }`. */
  interruption?: Partial<InterruptionOptions>;
  /**
   * Speech detection: `{ activationThreshold: 0.5, deactivationThreshold: 0.35, minSpeechMs: 50,
   * minSilenceMs: 550, prefixPaddingMs: 500 }`.
   */
  vadOptions?: Partial<VadOptions>;
  /** Rounds of tool calls per reply before the model must answer without tools. Default 3. */
  maxToolSteps?: number;
  /** Spoken when the LLM fails mid-reply; "" for silence. */
  errorReplyText?: string;
  /**
   * Ends turns earlier (or later) than the silence rule. Default none (every turn waits
   * `minDelayMs`); `rulesTurnDetector()` is the offline one that ships (rules over the words
   * heard: 250 ms after a complete question or command, 1500 ms after a trailing "and"/"to"/number,
   * 700 ms otherwise). `null` is the same as none.
   */
  turnDetector?: TurnDetector | null;
  /** Re-opening a dropped STT stream: `{ backoffMs: [0, 250, 1000, 2000, 5000], maxAttempts: 10 }`. */
  sttReconnect?: Partial<SttReconnectOptions>;
  /** BCP-47 language for the STT, e.g. "en-US". Default the provider's. */
  language?: string;
}

/** Merges user options over the defaults, checking what would make the loop misbehave. */
export function resolveVoiceOptions(input: VoiceOptionsInput = {}): VoiceOptions {
  const options: VoiceOptions = {
    endpointing: { ...defaultEndpointingOptions, ...input.endpointing },
    interruption: { ...defaultInterruptionOptions, ...input.interruption },
    vad: { ...defaultVadOptions, ...input.vadOptions },
    maxToolSteps: input.maxToolSteps ?? defaultLlmLoopOptions.maxToolSteps,
    errorReplyText: input.errorReplyText ?? defaultErrorReplyText,
    turnDetector: input.turnDetector ?? undefined,
    sttReconnect: { ...defaultSttReconnectOptions, ...input.sttReconnect },
    language: input.language,
  };
  const { endpointing, vad, interruption } = options;
  const problems: string[] = [];
  const nonNegative = (name: string, value: number) => {
    if (!Number.isFinite(value) || value < 0) problems.push(`${name} must be a number ≥ 0, got ${value}`);
  };
  nonNegative("endpointing.minDelayMs", endpointing.minDelayMs);
  nonNegative("endpointing.maxDelayMs", endpointing.maxDelayMs);
  nonNegative("interruption.minInterruptionMs", interruption.minInterruptionMs);
  nonNegative("vadOptions.minSpeechMs", vad.minSpeechMs);
  nonNegative("vadOptions.minSilenceMs", vad.minSilenceMs);
  nonNegative("vadOptions.prefixPaddingMs", vad.prefixPaddingMs);
  nonNegative("maxToolSteps", options.maxToolSteps);
  if (endpointing.maxDelayMs < endpointing.minDelayMs) {
    problems.push(
      `endpointing.maxDelayMs (${endpointing.maxDelayMs}) must be ≥ minDelayMs (${endpointing.minDelayMs})`,
    );
  }
  if (!(vad.deactivationThreshold <= vad.activationThreshold)) {
    problems.push(
      `vadOptions.deactivationThreshold (${vad.deactivationThreshold}) must be ≤ activationThreshold (${vad.activationThreshold})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`invalid agent options: ${problems.join("; ")}`);
  return options;
}
