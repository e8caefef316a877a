// Language models: the streaming chat interface with tool calls.
export type {
  ChatMessage,
  LlmModel,
  LlmPart,
  LlmRequest,
  LlmStreamOptions,
  ToolCall,
  ToolSpec,
} from "./types.js";
