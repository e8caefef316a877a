// The request body of `POST /chat/completions`, from callwright's chat messages and tool specs.
import type { ChatMessage, LlmRequest, ToolSpec } from "@callwright/spec";

type WireMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | WireUserPart[] }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
    }
  | { role: "tool"; tool_call_id: string; content: string };

/** A part of a user message with pictures (OpenAI's content parts; Ollama and llama.cpp take the same). */
type WireUserPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

interface WireTool {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ChatCompletionsBody {
  model: string;
  messages: WireMessage[];
  stream: true;
  stream_options: { include_usage: true };
  tools?: WireTool[];
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
}

export interface BodyOptions {
  model: string;
  temperature: number | undefined;
  maxOutputTokens: number | undefined;
  /** OpenAI itself takes `max_completion_tokens` (and refuses `max_tokens` on newer models); other servers take `max_tokens`. */
  maxTokensField: "max_tokens" | "max_completion_tokens";
}

export function chatCompletionsBody(request: LlmRequest, options: BodyOptions): ChatCompletionsBody {
  const body: ChatCompletionsBody = {
    model: options.model,
    messages: request.messages.map(toWire),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.tools !== undefined && request.tools.length > 0) body.tools = request.tools.map(toWireTool);
  const temperature = request.temperature ?? options.temperature;
  if (temperature !== undefined) body.temperature = temperature;
  const maxTokens = request.maxOutputTokens ?? options.maxOutputTokens;
  if (maxTokens !== undefined) body[options.maxTokensField] = maxTokens;
  return body;
}

function toWire(message: ChatMessage): WireMessage {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user": {
      const images = message.images ?? [];
      if (images.length === 0) return { role: "user", content: message.content };
      return {
        role: "user",
        content: [
          { type: "text", text: message.content },
          ...images.map(
            (image): WireUserPart => ({
              type: "image_url",
              image_url: {
                url: `data:${image.mediaType};base64,${Buffer.from(image.data).toString("base64")}`,
              },
            }),
          ),
        ],
      };
    }
    case "assistant": {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: "assistant", content: message.content };
      return {
        role: "assistant",
        content: message.content === "" ? null : message.content,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: "function",
          function: { name: c.name, arguments: c.arguments },
        })),
      };
    }
    case "tool":
      return {
        role: "tool",
        tool_call_id: message.toolCallId,
        content: message.isError === true ? `Error: ${message.content}` : message.content,
      };
  }
}

function toWireTool(spec: ToolSpec): WireTool {
  return {
    type: "function",
    function: { name: spec.name, description: spec.description, parameters: spec.parameters },
  };
}
