import { systemClock } from "@callwright/provider-utils";
import type { ChatMessage, LlmModel } from "@callwright/spec";
import { ChatHistory } from "../llm/chat-history.js";
import type { Tool } from "../llm/tool.js";
import { defaultLlmLoopOptions, runLlm, type ToolCallRecord } from "../llm/tool-runner.js";
import { type Logger, silentLogger } from "../log/index.js";
import { MetricsCollector } from "../metrics/collector.js";

export interface TestSessionOptions {
  llm: LlmModel;
  tools?: readonly Tool[];
  /** The system prompt. Default "You're a helpful voice assistant." */
  instructions?: string;
  /** Default 3, as in the Agent. */
  maxToolSteps?: number;
  logger?: Logger;
}

/** What happened in one `run`, in order. */
export type TestRunEvent =
  | { type: "assistant_message"; text: string }
  | {
      type: "tool_call";
      name: string;
      arguments: unknown;
      /** What the model got back. */
      result: string;
      isError: boolean;
    }
  | { type: "error"; error: Error };

/**
 * Your agent's brain without audio: the same LLM loop (tools, validation, step limit, metrics)
 * the voice loop runs, driven by text. For fast tests of prompts and tools against a FakeLLM or
 * a real model.
 */
export class TestSession {
  readonly history: ChatHistory;
  readonly metrics = new MetricsCollector();
  readonly #options: TestSessionOptions;

  constructor(options: TestSessionOptions) {
    this.#options = options;
    this.history = new ChatHistory(options.instructions ?? "You're a helpful voice assistant.");
  }

  /** The conversation so far (after the system prompt). */
  get messages(): readonly ChatMessage[] {
    return this.history.messages;
  }

  /** The user says `userInput`; resolves with what the agent did in reply. */
  async run(input: { userInput: string; signal?: AbortSignal }): Promise<TestRunEvent[]> {
    const events: TestRunEvent[] = [];
    this.history.append({ role: "user", content: input.userInput });
    const result = await runLlm({
      llm: this.#options.llm,
      messages: this.history.forRequest(),
      tools: this.#options.tools ?? [],
      maxToolSteps: this.#options.maxToolSteps ?? defaultLlmLoopOptions.maxToolSteps,
      signal: input.signal ?? new AbortController().signal,
      logger: this.#options.logger ?? silentLogger,
      meter: { metrics: this.metrics, clock: systemClock },
      onStepText: (text) => {
        if (text.trim().length > 0) events.push({ type: "assistant_message", text });
      },
      onToolCall: (record: ToolCallRecord) =>
        events.push({
          type: "tool_call",
          name: record.name,
          arguments: record.arguments,
          result: record.result,
          isError: record.isError,
        }),
    });
    this.history.append(...result.messages);
    const last = result.messages.at(-1);
    if (last?.role === "assistant" && last.toolCalls === undefined && last.content.trim().length > 0) {
      events.push({ type: "assistant_message", text: last.content });
    }
    if (result.error !== undefined) events.push({ type: "error", error: result.error });
    return events;
  }
}

/**
 * Starts a text-only session:
 * ```ts
 * const session = await createTestSession({ llm, tools, instructions });
 * const events = await session.run({ userInput: "What's the weather in Paris?" });
 * expect(events).toContainEqual(expect.objectContaining({ type: "tool_call", name: "get_weather" }));
 * ```
 */
export async function createTestSession(options: TestSessionOptions): Promise<TestSession> {
  await options.llm.warmup?.({ ...(options.logger ? { logger: options.logger } : {}) });
  return new TestSession(options);
}
