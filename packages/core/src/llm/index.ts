// Language models: the streaming chat interface with tool calls, tools, the conversation
// history, and the metered tool loop every reply runs through.

export type {
  ChatMessage,
  LlmModel,
  LlmPart,
  LlmRequest,
  LlmStreamOptions,
  ToolCall,
  ToolSpec,
} from "@callwright/spec";
export { ChatHistory } from "./chat-history.js";
export { type LlmCallStats, meteredLlmStream } from "./metered.js";
export { type Tool, type ToolContext, tool, toolSpec } from "./tool.js";
export {
  defaultLlmLoopOptions,
  type LlmLoopOptions,
  type RunLlmOptions,
  type RunLlmResult,
  runLlm,
  type ToolCallRecord,
} from "./tool-runner.js";
