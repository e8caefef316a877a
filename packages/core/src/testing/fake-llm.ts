import { type Clock, systemClock } from "@callwright/provider-utils";
import type { LlmModel, LlmPart, LlmRequest, LlmStreamOptions } from "@callwright/spec";
import { delay } from "./delay.js";

/** One scripted model answer. A string is a plain text reply. */
export type FakeLlmReply =
  | string
  | {
      text?: string;
      /** Tool calls after the text; `arguments` may be an object (sent as JSON) or raw text. */
      toolCalls?: { name: string; arguments?: unknown; id?: string }[];
      /** Yield an `error` part after the text (or throw it, with `throws: true`). */
      error?: Error;
      throws?: boolean;
      /** Token counts to report; `false` reports none (the core then estimates). Default chars / 4. */
      usage?: { inputTokens: number; outputTokens: number } | false;
      /** Wait before the first part. */
      firstTokenDelayMs?: number;
      /** Wait between parts. */
      chunkDelayMs?: number;
    };

export interface FakeLlmOptions {
  /** Answers in order, one per `stream` call. */
  replies?: FakeLlmReply[];
  /** Or compute the answer (used once `replies` run out). */
  respond?: (request: LlmRequest, index: number) => FakeLlmReply;
  /** Words per text delta. Default 1 (the text streams word by word). */
  wordsPerDelta?: number;
  /** Default wait before the first part, ms. Default 0 (instant). */
  firstTokenDelayMs?: number;
  /** Default wait between parts, ms. Default 0. */
  chunkDelayMs?: number;
  /** The clock delays run on (a FakeClock in tests that step time). */
  clock?: Clock;
}

/**
 * A scripted chat model: answers with scripted text and tool calls, streaming word by word,
 * with token counts and optional delays. It records every request, so tests can check what the
 * model was sent (history, tool results, tools offered).
 */
export class FakeLLM implements LlmModel {
  readonly specificationVersion = "v1";
  readonly provider = "fake";
  readonly modelId = "fake-llm";
  /** Every request, in order. */
  readonly requests: LlmRequest[] = [];
  /** Streams aborted by their signal before finishing. */
  aborted = 0;
  warmups = 0;
  readonly #options: FakeLlmOptions;
  readonly #replies: FakeLlmReply[];

  constructor(options: FakeLlmOptions = {}) {
    this.#options = options;
    this.#replies = [...(options.replies ?? [])];
  }

  get lastRequest(): LlmRequest | undefined {
    return this.requests.at(-1);
  }

  async warmup(): Promise<void> {
    this.warmups += 1;
  }

  /** Adds answers to the script. */
  enqueue(...replies: FakeLlmReply[]): void {
    this.#replies.push(...replies);
  }

  async *stream(request: LlmRequest, options: LlmStreamOptions): AsyncGenerator<LlmPart> {
    const index = this.requests.length;
    this.requests.push({ ...request, messages: [...request.messages] });
    const next = this.#replies.shift() ?? this.#options.respond?.(request, index);
    if (next === undefined) {
      yield { type: "error", error: new Error(`FakeLLM has no scripted reply for request #${index + 1}`) };
      return;
    }
    const reply = typeof next === "string" ? { text: next } : next;
    const clock = this.#options.clock ?? systemClock;
    const chunkDelayMs = reply.chunkDelayMs ?? this.#options.chunkDelayMs ?? 0;
    const { signal } = options;
    try {
      await delay(reply.firstTokenDelayMs ?? this.#options.firstTokenDelayMs ?? 0, signal, clock);
      let first = true;
      const pause = async () => {
        if (!first) await delay(chunkDelayMs, signal, clock);
        first = false;
      };
      const text = reply.text ?? "";
      const words = text.match(/\S+\s*|\s+/g) ?? [];
      const per = Math.max(1, this.#options.wordsPerDelta ?? 1);
      for (let i = 0; i < words.length; i += per) {
        await pause();
        yield { type: "text_delta", text: words.slice(i, i + per).join("") };
      }
      if (reply.error !== undefined) {
        await pause();
        if (reply.throws) throw reply.error;
        yield { type: "error", error: reply.error };
        return;
      }
      let argChars = 0;
      for (const [n, call] of (reply.toolCalls ?? []).entries()) {
        await pause();
        const args =
          typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {});
        argChars += args.length;
        yield {
          type: "tool_call",
          id: call.id ?? `call_${index + 1}_${n + 1}`,
          name: call.name,
          arguments: args,
        };
      }
      if (reply.usage !== false) {
        const usage = reply.usage ?? {
          inputTokens: Math.ceil(request.messages.reduce((n, m) => n + m.content.length, 0) / 4),
          outputTokens: Math.ceil((text.length + argChars) / 4),
        };
        yield { type: "usage", ...usage };
      }
      yield { type: "finish", reason: (reply.toolCalls?.length ?? 0) > 0 ? "tool_calls" : "stop" };
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      if (signal.aborted) this.aborted += 1;
    }
  }
}
