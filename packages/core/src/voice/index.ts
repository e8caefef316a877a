// The voice loop: VAD → STT → end of turn → LLM → TTS → paced audio, with barge-in.
// One explicit state machine per session; each step in its own file (see docs/voice-loop.md).
export { type AudioOutputOptions, defaultAudioOutputOptions } from "./audio-output.js";
export {
  defaultEndpointingOptions,
  type EndOfTurnDecision,
  type EndOfTurnReason,
  type EndpointingOptions,
  type TurnDetector,
  type TurnDetectorAnswer,
  type TurnDetectorInput,
} from "./endpointing.js";
export {
  defaultErrorReplyText,
  defaultInterruptionOptions,
  defaultVoiceOptions,
  type InterruptionOptions,
  resolveVoiceOptions,
  type VoiceOptions,
  type VoiceOptionsInput,
} from "./options.js";
export { defaultSttReconnectOptions, type SttReconnectOptions } from "./participant-input.js";
export {
  defaultRealtimeLoopOptions,
  type RealtimeLoopOptions,
} from "./realtime-session.js";
export type { ReplyCancelReason, ReplyOutcome } from "./reply.js";
export {
  defaultSentenceSplitterOptions,
  SentenceSplitter,
  type SentenceSplitterOptions,
  speakableText,
} from "./sentence-splitter.js";
export {
  defaultRulesTurnDetectorOptions,
  judgeTranscript,
  type RulesTurnDetectorOptions,
  rulesTurnDetector,
  type TurnCompleteness,
  transcriptWords,
} from "./turn-detector.js";
export { defaultVadOptions, type VadOptions } from "./vad-detector.js";
export type { ErrorSource, TranscriptEvent } from "./voice-session.js";
