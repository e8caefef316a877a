// The default end-of-turn model: rules over the words heard so far, no model to download. How
// long to wait after the user's last voiced frame depends on whether what they said sounds done
// (a question, a command, a short answer) or trails off ("and", "to the", "I want to", a number
// being read out). See docs/voice-loop.md, "When a turn ends".
import type { TurnDetector, TurnDetectorAnswer, TurnDetectorInput } from "./endpointing.js";

export interface RulesTurnDetectorOptions {
  /** Silence after an utterance that sounds complete (a question, a command, "yes"), in ms. */
  minSilenceMs: number;
  /** Silence after one that sounds unfinished (trailing "and", "to", a number being read), in ms. */
  maxSilenceMs: number;
  /** Silence when the words say neither (a plain statement), in ms. */
  unsureSilenceMs: number;
}

export const defaultRulesTurnDetectorOptions = {
  minSilenceMs: 250,
  maxSilenceMs: 1500,
  unsureSilenceMs: 700,
} as const satisfies RulesTurnDetectorOptions;

/** Words after which a sentence cannot end: conjunctions, articles, prepositions, fillers. */
const CONTINUES = new Set(
  (
    "and or but so because cause if than then that which who whose when while where whether " +
    "the a an this these those my your our their his her its some any every each no " +
    "to of for with without in on at from into onto by about like as " +
    "is are was were am be been being do does did have has had will would can could should shall may might must " +
    "i we he she they um uh er erm hmm " +
    "plus minus times divided multiplied over under " +
    "very really just also maybe please let lets i'm i'd i'll we're you're"
  ).split(" "),
);

/** Phrases whose end is not the end of a sentence, wherever they occur last. */
const OPEN_ENDINGS = [
  "i want",
  "i want to",
  "i would like",
  "i'd like",
  "i would like to",
  "i'd like to",
  "i need",
  "i need to",
  "can you",
  "could you",
  "tell me",
  "let me",
  "i think",
  "i mean",
  "you know",
  "the number is",
  "my number is",
  "kind of",
  "sort of",
  "square root",
];

const QUESTION_STARTS = new Set(
  "what what's whats when where where's who who's whom whose why how how's which is are am was were do does did can could would will should shall may might have has isn't aren't don't doesn't didn't can't won't".split(
    " ",
  ),
);

/** Complete on their own: answers, greetings, thanks. */
const SHORT_COMPLETE = new Set(
  "yes yeah yep yup no nope okay ok sure right correct exactly fine great thanks thank hello hi hey goodbye bye stop wait sorry pardon".split(
    " ",
  ),
);

/** Verbs that start a command: "tell me the time", "set a timer for five minutes". */
const COMMANDS = new Set(
  "tell give show play stop pause resume set call turn open close read repeat say start cancel add subtract multiply divide explain describe find book check send".split(
    " ",
  ),
);

const NUMBER_WORDS = new Set(
  "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million point double triple".split(
    " ",
  ),
);
const ARITHMETIC = /\b(plus|minus|times|divided|multiplied|over|percent|squared|cubed|root|add|subtract)\b/;

const isNumber = (w: string): boolean => NUMBER_WORDS.has(w) || /^\d+([.,]\d+)?$/.test(w);

/** Lowercase words, punctuation dropped (what pocketsphinx writes, and what a cloud STT writes). */
export function transcriptWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]/gu, " ")
    .split(/\s+/)
    .filter(Boolean);
}

/** What the rules make of a transcript, before it is turned into a silence. */
export type TurnCompleteness = "complete" | "incomplete" | "unsure";

/**
 * Judges a transcript (final words so far): whether it sounds finished, with a confidence in
 * 0..1 and the rule that decided, e.g. `{ completeness: "incomplete", confidence: 0.9,
 * rule: "trailing_word" }`.
 */
export function judgeTranscript(
  text: string,
  agentAskedQuestion = false,
): { completeness: TurnCompleteness; confidence: number; rule: string } {
  const trimmed = text.trim();
  const words = transcriptWords(trimmed);
  if (words.length === 0) return { completeness: "unsure", confidence: 0, rule: "empty" };
  const last = words.at(-1)!;
  const tail = words.slice(-4).join(" ");
  if (/(\.\.\.|…|,|;|:|-)$/.test(trimmed))
    return { completeness: "incomplete", confidence: 0.8, rule: "punctuation" };
  if (OPEN_ENDINGS.some((p) => tail === p || tail.endsWith(` ${p}`)))
    return { completeness: "incomplete", confidence: 0.9, rule: "open_phrase" };
  if (CONTINUES.has(last)) return { completeness: "incomplete", confidence: 0.85, rule: "trailing_word" };
  if (isNumber(last)) {
    // Digits read out one by one ("five five five"), or a number with no operator yet: more may come.
    const run = words.length - 1 - [...words].reverse().findIndex((w) => !isNumber(w));
    const numbersAtEnd = run === words.length ? words.length : words.length - run - 1;
    const before = words.slice(0, words.length - numbersAtEnd).join(" ");
    if (numbersAtEnd >= 2 && !ARITHMETIC.test(words.slice(-numbersAtEnd - 1).join(" ")))
      return { completeness: "incomplete", confidence: 0.7, rule: "number_read_out" };
    if (/\b(number|code|zip|digits|phone|pin|card)\b/.test(before))
      return { completeness: "incomplete", confidence: 0.7, rule: "number_read_out" };
    if (QUESTION_STARTS.has(words[0]!) && !ARITHMETIC.test(before))
      return { completeness: "incomplete", confidence: 0.6, rule: "operand_missing" };
  }
  if (/[?!]$/.test(trimmed)) return { completeness: "complete", confidence: 0.9, rule: "punctuation" };
  if (
    words.length <= 3 &&
    words.every((w) => SHORT_COMPLETE.has(w) || w === "you" || w === "very" || w === "much")
  )
    return { completeness: "complete", confidence: 0.9, rule: "short_answer" };
  if (agentAskedQuestion && words.length <= 4)
    return { completeness: "complete", confidence: 0.7, rule: "answer" };
  if (words.length >= 2 && QUESTION_STARTS.has(words[0]!))
    return { completeness: "complete", confidence: 0.75, rule: "question" };
  if (words.length >= 2 && COMMANDS.has(words[0]!))
    return { completeness: "complete", confidence: 0.7, rule: "command" };
  if (/\.$/.test(trimmed)) return { completeness: "complete", confidence: 0.6, rule: "punctuation" };
  return { completeness: "unsure", confidence: 0.5, rule: "statement" };
}

/**
 * The default turn detector (`turnDetector` on the Agent; `turnDetector: null` turns it off).
 * Rules over the final transcript so far and the agent's last words; with a cloud STT's own
 * end-of-speech signal (Deepgram's `speech_final`/`UtteranceEnd`) the turn counts as complete.
 * Waits `minSilenceMs` after what sounds complete, `maxSilenceMs` after what trails off, and
 * `unsureSilenceMs` otherwise. Runs synchronously in microseconds; no model, no download.
 */
export function rulesTurnDetector(options: Partial<RulesTurnDetectorOptions> = {}): TurnDetector {
  const o = { ...defaultRulesTurnDetectorOptions, ...options };
  return {
    name: "rules",
    endOfTurnDelayMs(input: TurnDetectorInput): TurnDetectorAnswer {
      if (input.sttEndOfSpeech === true && judgeTranscript(input.transcript).completeness !== "incomplete")
        return { delayMs: o.minSilenceMs, confidence: 0.9, label: "complete:stt_end_of_speech" };
      const lastAgent = [...input.history].reverse().find((m) => m.role === "assistant");
      const asked =
        lastAgent !== undefined && typeof lastAgent.content === "string" && /\?\s*$/.test(lastAgent.content);
      const { completeness, confidence, rule } = judgeTranscript(input.transcript, asked);
      const delayMs =
        completeness === "complete"
          ? o.minSilenceMs
          : completeness === "incomplete"
            ? o.maxSilenceMs
            : o.unsureSilenceMs;
      return { delayMs, confidence, label: `${completeness}:${rule}` };
    },
  };
}
