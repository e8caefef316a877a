// Turns Gemini's streamed GenerateContentResponse chunks into callwright's LLM parts: text deltas
// (thought summaries skipped), complete function calls as tool calls, the last usage report, and
// the finish reason mapped to ours.
import type { LlmPart } from "@callwright/spec";
import type { CallBook } from "../wire/contents.js";
import type { GenerateContentResponse, WireUsage } from "../wire/types.js";

type FinishReason = Extract<LlmPart, { type: "finish" }>["reason"];

/** Gemini's finish reasons that mean the reply was cut by a filter. */
const FILTERED = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "LANGUAGE",
]);

/** One per response: `push` each chunk, then `end` for the closing parts. */
export class ResponseAssembler {
  readonly #calls: CallBook;
  #finish: string | undefined;
  #blocked: string | undefined;
  #usage: WireUsage | undefined;
  #toolCalls = 0;
  #outputChars = 0;
  #sawCandidate = false;

  constructor(calls: CallBook) {
    this.#calls = calls;
  }

  /** True once the candidate reported its finish reason, or the prompt was blocked. */
  get finished(): boolean {
    return this.#finish !== undefined || this.#blocked !== undefined;
  }

  push(chunk: GenerateContentResponse): LlmPart[] {
    const parts: LlmPart[] = [];
    if (chunk.usageMetadata !== undefined) this.#usage = chunk.usageMetadata;
    if (chunk.promptFeedback?.blockReason !== undefined) this.#blocked = chunk.promptFeedback.blockReason;
    // We never ask for several candidates: the first is the reply.
    const candidate = chunk.candidates?.find((c) => (c.index ?? 0) === 0);
    if (candidate === undefined) return parts;
    this.#sawCandidate = true;
    for (const part of candidate.content?.parts ?? []) {
      if (typeof part.text === "string" && part.text !== "" && part.thought !== true) {
        this.#outputChars += part.text.length;
        parts.push({ type: "text_delta", text: part.text });
      }
      const call = part.functionCall;
      if (call !== undefined && typeof call.name === "string") {
        const id = this.#calls.record(call, part.thoughtSignature);
        const args = JSON.stringify(call.args ?? {});
        this.#toolCalls += 1;
        this.#outputChars += call.name.length + args.length;
        // Gemini sends each call whole, so it is passed on at once (no deltas).
        parts.push({ type: "tool_call", id, name: call.name, arguments: args });
      }
    }
    if (typeof candidate.finishReason === "string" && candidate.finishReason !== "") {
      this.#finish = candidate.finishReason;
    }
    return parts;
  }

  /** The usage (estimated from `inputChars` when none came) and `finish`. */
  end(inputChars: number): LlmPart[] {
    const usage = this.#usage;
    const reported = usage?.promptTokenCount !== undefined;
    const parts: LlmPart[] = [
      reported
        ? {
            type: "usage",
            inputTokens: (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0),
            // Thinking tokens are output the model generated (and is billed for).
            outputTokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
          }
        : {
            type: "usage",
            inputTokens: Math.ceil(inputChars / 4),
            outputTokens: Math.ceil(this.#outputChars / 4),
            estimated: true,
          },
      { type: "finish", reason: this.#reason() },
    ];
    return parts;
  }

  /** Why the prompt was refused, when it was (no candidate at all). */
  get blockReason(): string | undefined {
    return this.#sawCandidate ? undefined : this.#blocked;
  }

  /** The raw finish reason Gemini gave (for messages). */
  get rawFinishReason(): string | undefined {
    return this.#finish;
  }

  #reason(): FinishReason {
    if (this.#finish === undefined && this.#blocked !== undefined) return "content_filter";
    switch (this.#finish) {
      case "STOP":
        return this.#toolCalls > 0 ? "tool_calls" : "stop";
      case "MAX_TOKENS":
        return "length";
      default:
        if (this.#finish !== undefined && FILTERED.has(this.#finish)) return "content_filter";
        return this.#toolCalls > 0 ? "tool_calls" : "other";
    }
  }
}
