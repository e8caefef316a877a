import type { Clock } from "@callwright/provider-utils";
import type { ChatMessage, LlmModel, ToolCall, ToolSpec } from "@callwright/spec";
import { z } from "zod";
import { isAbortError } from "../errors/index.js";
import type { Logger } from "../log/index.js";
import type { MetricsCollector } from "../metrics/collector.js";
import { type LlmCallStats, meteredLlmStream } from "./metered.js";
import { type Tool, toolSpec } from "./tool.js";

/** Options of the LLM loop (steps of model calls and tool runs). */
export interface LlmLoopOptions {
  /**
   * Rounds of tool calls allowed per reply. After this many, the model is asked once more
   * without tools, so it has to answer. Default 3.
   */
  maxToolSteps: number;
}

export const defaultLlmLoopOptions = { maxToolSteps: 3 } as const satisfies LlmLoopOptions;

/** One tool call the loop ran (or refused), as the model will see its result. */
export interface ToolCallRecord {
  id: string;
  name: string;
  /** The parsed arguments, or the raw text when they were not valid JSON. */
  arguments: unknown;
  /** What the model gets back: the tool's result as text (JSON unless it returned a string). */
  result: string;
  isError: boolean;
  /** Time `execute` took; undefined when the call was refused before running. */
  latencyMs: number | undefined;
}

export interface RunLlmOptions extends LlmLoopOptions {
  llm: LlmModel;
  /** The conversation so far, system prompt first. */
  messages: readonly ChatMessage[];
  tools: readonly Tool[];
  signal: AbortSignal;
  logger: Logger;
  meter: { metrics: MetricsCollector; clock: Clock };
  /** Streamed reply text, as it arrives. */
  onTextDelta?: (text: string) => void;
  /** A step ended in tool calls: its text is complete (speak it before the tools run). */
  onStepText?: (text: string) => void;
  onToolCall?: (record: ToolCallRecord) => void;
  /** A message the run adds to the conversation (assistant tool calls, tool results). */
  onMessage?: (message: ChatMessage) => void;
}

export interface RunLlmResult {
  /** What the run adds to the history: assistant messages with tool calls, tool results, the answer. */
  messages: ChatMessage[];
  /** Stats of the first model call (time to first token of the reply). */
  firstCall: LlmCallStats | undefined;
  /** Model calls made. */
  calls: number;
  toolCalls: ToolCallRecord[];
  /** The model failed (an error part or a throw); `messages` hold what came before. */
  error: Error | undefined;
  cancelled: boolean;
}

/**
 * Runs one reply: streams the model, runs the tools it calls (arguments validated with the
 * tool's zod schema; unknown tools, invalid arguments and throwing tools become error results
 * the model sees), and calls the model again with the results, up to `maxToolSteps` rounds.
 */
export async function runLlm(options: RunLlmOptions): Promise<RunLlmResult> {
  const { llm, tools, signal, meter } = options;
  const specs: ToolSpec[] = tools.map(toolSpec);
  const context: ChatMessage[] = [...options.messages];
  const result: RunLlmResult = {
    messages: [],
    firstCall: undefined,
    calls: 0,
    toolCalls: [],
    error: undefined,
    cancelled: false,
  };
  for (let step = 0; ; step++) {
    const offerTools = specs.length > 0 && step < options.maxToolSteps;
    const call = meteredLlmStream(
      llm,
      { messages: context, ...(offerTools ? { tools: specs } : {}) },
      { signal },
      meter,
    );
    result.calls += 1;
    result.firstCall ??= call.stats;
    let text = "";
    const calls: ToolCall[] = [];
    for await (const part of call.parts) {
      if (part.type === "text_delta") {
        text += part.text;
        options.onTextDelta?.(part.text);
      } else if (part.type === "tool_call") {
        calls.push({ id: part.id, name: part.name, arguments: part.arguments });
      } else if (part.type === "error") {
        result.error = part.error;
        break;
      }
    }
    if (signal.aborted || call.stats.cancelled) {
      result.cancelled = true;
      if (text.length > 0) result.messages.push({ role: "assistant", content: text });
      return result;
    }
    if (result.error !== undefined) {
      if (text.length > 0) result.messages.push({ role: "assistant", content: text });
      return result;
    }
    if (calls.length > 0 && !offerTools) {
      options.logger.warn(
        { tools: calls.map((c) => c.name) },
        "the model called tools when none were offered; ignoring them",
      );
    }
    if (calls.length === 0 || !offerTools) {
      result.messages.push({ role: "assistant", content: text });
      return result;
    }
    const assistant: ChatMessage = { role: "assistant", content: text, toolCalls: calls };
    context.push(assistant);
    result.messages.push(assistant);
    options.onMessage?.(assistant);
    options.onStepText?.(text);
    for (const toolCall of calls) {
      const record = await runTool(tools, toolCall, options);
      if (signal.aborted) {
        result.cancelled = true;
        return result;
      }
      const message: ChatMessage = {
        role: "tool",
        toolCallId: toolCall.id,
        name: toolCall.name,
        content: record.result,
        ...(record.isError ? { isError: true } : {}),
      };
      context.push(message);
      result.messages.push(message);
      result.toolCalls.push(record);
      options.onMessage?.(message);
      options.onToolCall?.(record);
    }
  }
}

/** Runs one tool call (validated with the tool's zod schema; failures become error results). */
export async function runTool(
  tools: readonly Tool[],
  call: ToolCall,
  options: Pick<RunLlmOptions, "meter" | "logger" | "signal">,
): Promise<ToolCallRecord> {
  const { metrics, clock } = options.meter;
  metrics.add("llm_tool_calls__total");
  const refuse = (args: unknown, message: string): ToolCallRecord => {
    options.logger.warn({ tool: call.name, reason: message }, "tool call refused");
    return {
      id: call.id,
      name: call.name,
      arguments: args,
      result: message,
      isError: true,
      latencyMs: undefined,
    };
  };
  const tool = tools.find((t) => t.name === call.name);
  if (tool === undefined) {
    const names = tools.map((t) => t.name).join(", ") || "none";
    return refuse(call.arguments, `Error: there is no tool named '${call.name}' (tools: ${names}).`);
  }
  let raw: unknown;
  try {
    raw = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch (error) {
    return refuse(call.arguments, `Error: the arguments are not valid JSON (${(error as Error).message}).`);
  }
  const parsed = tool.parameters.safeParse(raw);
  if (!parsed.success) {
    return refuse(raw, `Error: invalid arguments for '${tool.name}':\n${z.prettifyError(parsed.error)}`);
  }
  const startedAtMs = clock.now();
  try {
    const value = await tool.execute(parsed.data, {
      signal: options.signal,
      logger: options.logger,
      toolCallId: call.id,
    });
    const latencyMs = clock.now() - startedAtMs;
    metrics.observe("llm_tool_latency_ms__avg", latencyMs);
    const text = typeof value === "string" ? value : (JSON.stringify(value ?? null) ?? "null");
    return { id: call.id, name: call.name, arguments: parsed.data, result: text, isError: false, latencyMs };
  } catch (error) {
    const latencyMs = clock.now() - startedAtMs;
    if (options.signal.aborted && isAbortError(error)) {
      return {
        id: call.id,
        name: call.name,
        arguments: parsed.data,
        result: "Error: cancelled.",
        isError: true,
        latencyMs,
      };
    }
    metrics.observe("llm_tool_latency_ms__avg", latencyMs);
    options.logger.warn({ tool: tool.name, err: error }, "tool threw; the model gets the error");
    const message = error instanceof Error ? error.message : String(error);
    return {
      id: call.id,
      name: call.name,
      arguments: parsed.data,
      result: `Error: the tool '${tool.name}' failed: ${message}`,
      isError: true,
      latencyMs,
    };
  }
}
