// Turns `chat.completion.chunk` objects into callwright's LLM parts: text deltas, tool calls
// assembled from their deltas (by index), the finish reason, and the usage of the last chunk.
import type { LlmPart } from "@callwright/spec";

/** The parts of a chunk we read (OpenAI's ChatCompletionChunk; servers vary in what they add). */
export interface WireChunk {
  choices?: {
    index?: number;
    delta?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: WireToolCallDelta[];
    };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

/** A piece of a tool call: the first names it (id, name); the rest carry argument text. */
export interface WireToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null };
}

type FinishReason = Extract<LlmPart, { type: "finish" }>["reason"];

interface Slot {
  index: number;
  id: string;
  /** False when the server sent no id and we made one up. */
  idFromServer: boolean;
  name: string;
  arguments: string[];
  emitted: boolean;
}

/** One per response: `push` each chunk, then `end` for the closing parts. */
export class ChunkAssembler {
  #slots: Slot[] = [];
  #finish: string | undefined;
  #usage: { inputTokens: number; outputTokens: number } | undefined;
  #outputChars = 0;
  #generatedIds = 0;

  /** True once a choice reported its finish reason. */
  get finished(): boolean {
    return this.#finish !== undefined;
  }

  push(chunk: WireChunk): LlmPart[] {
    const parts: LlmPart[] = [];
    if (chunk.usage !== undefined && chunk.usage !== null) {
      this.#usage = {
        inputTokens: chunk.usage.prompt_tokens ?? 0,
        outputTokens: chunk.usage.completion_tokens ?? 0,
      };
    }
    // We never ask for n > 1: the first choice is the reply.
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (choice === undefined) return parts;
    const delta = choice.delta ?? {};
    for (const text of [delta.content, delta.refusal]) {
      if (typeof text === "string" && text !== "") {
        this.#outputChars += text.length;
        parts.push({ type: "text_delta", text });
      }
    }
    for (const call of delta.tool_calls ?? []) parts.push(...this.#toolDelta(call));
    if (typeof choice.finish_reason === "string" && choice.finish_reason !== "") {
      this.#finish = choice.finish_reason;
      parts.push(...this.#completeToolCalls());
    }
    return parts;
  }

  /** Tool calls not yet complete, the usage (estimated from `inputChars` when none came), and `finish`. */
  end(inputChars: number): LlmPart[] {
    const parts = this.#completeToolCalls();
    parts.push(
      this.#usage === undefined
        ? {
            type: "usage",
            inputTokens: Math.ceil(inputChars / 4),
            outputTokens: Math.ceil(this.#outputChars / 4),
            estimated: true,
          }
        : { type: "usage", ...this.#usage },
    );
    parts.push({ type: "finish", reason: this.#reason() });
    return parts;
  }

  #toolDelta(call: WireToolCallDelta): LlmPart[] {
    const id = typeof call.id === "string" && call.id !== "" ? call.id : undefined;
    const index = call.index ?? (id === undefined ? (this.#slots.at(-1)?.index ?? 0) : this.#slots.length);
    let slot = this.#slots.findLast((s) => s.index === index);
    // A new id at a used index is a new call (Ollama numbers parallel calls all 0).
    if (slot === undefined || slot.emitted || (id !== undefined && slot.idFromServer && slot.id !== id)) {
      this.#generatedIds += id === undefined ? 1 : 0;
      slot = {
        index,
        id: id ?? `call_${this.#generatedIds}`,
        idFromServer: id !== undefined,
        name: "",
        arguments: [],
        emitted: false,
      };
      this.#slots.push(slot);
    }
    const name = call.function?.name ?? "";
    let named: string | undefined;
    if (name !== "" && name !== slot.name) {
      slot.name += name;
      named = slot.name;
    }
    const argumentsDelta = call.function?.arguments ?? "";
    slot.arguments.push(argumentsDelta);
    this.#outputChars += name.length + argumentsDelta.length;
    if (named === undefined && argumentsDelta === "") return [];
    return [
      {
        type: "tool_call_delta",
        id: slot.id,
        ...(named === undefined ? {} : { name: named }),
        argumentsDelta,
      },
    ];
  }

  #reason(): FinishReason {
    const calls = this.#slots.length > 0;
    switch (this.#finish) {
      case "stop":
        // Some servers (older Ollama) say "stop" after tool calls.
        return calls ? "tool_calls" : "stop";
      case "tool_calls":
      case "function_call":
        return "tool_calls";
      case "length":
        return "length";
      case "content_filter":
        return "content_filter";
      default:
        return calls ? "tool_calls" : "other";
    }
  }

  #completeToolCalls(): LlmPart[] {
    const parts: LlmPart[] = [];
    for (const slot of this.#slots) {
      if (slot.emitted) continue;
      slot.emitted = true;
      const args = slot.arguments.join("");
      parts.push({
        type: "tool_call",
        id: slot.id,
        name: slot.name,
        arguments: args.trim() === "" ? "{}" : args,
      });
    }
    return parts;
  }
}
