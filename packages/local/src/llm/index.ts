// llm: the offline responder (a deterministic stand-in for a language model, clearly labelled)
// and the clock tool it calls to answer time and date questions.
export {
  CURRENT_TIME_TOOL_NAME,
  type CurrentTime,
  type CurrentTimeToolOptions,
  createCurrentTimeTool,
  currentTimeTool,
  defaultCurrentTimeToolOptions,
} from "./clock-tool.js";
export { defaultOfflineLLMOptions, OfflineLLM, type OfflineLLMOptions } from "./offline-llm.js";
export { offlineResponderPhrases } from "./phrases.js";
