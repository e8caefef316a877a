// Language models: a streaming chat interface with tool calls; parts out as a tagged union.
import type { WarmupOptions } from "./log.js";

/** A tool call the model asked for. `arguments` is the JSON text the model produced. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A picture attached to a user message (a video frame when the user spoke). */
export interface ChatImage {
  mediaType: "image/jpeg" | "image/png";
  /** The encoded image. */
  data: Uint8Array;
  widthPx?: number;
  heightPx?: number;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | {
      role: "user";
      content: string;
      participantId?: string;
      /** Pictures that go with the words; a model that cannot see ignores them. */
      images?: readonly ChatImage[];
    }
  | {
      role: "assistant";
      content: string;
      toolCalls?: ToolCall[];
      /** True when the user interrupted: `content` is what they heard before the cut. */
      interrupted?: boolean;
    }
  | { role: "tool"; toolCallId: string; name: string; content: string; isError?: boolean };

/** A tool as the model sees it: name, description and a JSON schema for its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface LlmRequest {
  messages: readonly ChatMessage[];
  tools?: readonly ToolSpec[];
  /** 0..2; provider default when absent. */
  temperature?: number;
  maxOutputTokens?: number;
}

export interface LlmStreamOptions {
  signal: AbortSignal;
}

/** Parts a chat stream yields. An error mid-stream is a part. */
export type LlmPart =
  | { type: "text_delta"; text: string }
  /** Streaming progress of a tool call (optional; used for time-to-first-token only). */
  | { type: "tool_call_delta"; id: string; name?: string; argumentsDelta: string }
  /** A complete tool call, ready to run. */
  | ({ type: "tool_call" } & ToolCall)
  /** Token counts as reported by the provider (`estimated` when the plugin had to guess). */
  | { type: "usage"; inputTokens: number; outputTokens: number; estimated?: boolean }
  | { type: "finish"; reason: "stop" | "tool_calls" | "length" | "content_filter" | "other" }
  | { type: "error"; error: Error };

/** A chat model that streams, with tool calls. */
export interface LlmModel {
  readonly specificationVersion: "v1";
  readonly provider: string;
  readonly modelId: string;
  warmup?(options: WarmupOptions): Promise<void>;
  stream(request: LlmRequest, options: LlmStreamOptions): AsyncIterable<LlmPart>;
  close?(): Promise<void>;
}
