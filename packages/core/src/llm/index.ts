// Language models: the streaming chat interface with tool calls, and tools.
export { type Tool, type ToolContext, tool, toolSpec } from "./tool.js";
export type {
  ChatMessage,
  LlmModel,
  LlmPart,
  LlmRequest,
  LlmStreamOptions,
  ToolCall,
  ToolSpec,
} from "./types.js";
